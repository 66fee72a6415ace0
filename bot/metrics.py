"""Prometheus metrics, in a registry of the app's own (several apps may live in one test)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.updates = Counter(
            "duban_updates_handled",
            "Telegram updates handled, by kind.",
            ["kind"],
            registry=self.registry,
        )
        self.sent = Counter(
            "duban_messages_sent",
            "Bot API calls that sent or changed a message, by method.",
            ["method"],
            registry=self.registry,
        )
        self.send_failures = Counter(
            "duban_send_failures",
            "Failed Bot API calls, by reason (rate_limited, server_error, timeout, blocked, "
            "chat_not_found, bad_request, gave_up).",
            ["reason"],
            registry=self.registry,
        )
        self.handler_latency = Histogram(
            "duban_handler_latency_seconds",
            "Time to handle one update.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.notifications = Counter(
            "duban_notifications",
            "Outgoing notifications by outcome (sent, failed, unreachable, late, merged).",
            ["state"],
            registry=self.registry,
        )
        self.pauses = Counter(
            "duban_delivery_pauses",
            "Flood waits honoured by the outbox sender: one chat parked, or the whole bot paused.",
            ["scope"],
            registry=self.registry,
        )
        self.sweeps = Counter(
            "duban_sweep_queued",
            "Notifications queued by the reminder and escalation sweep, by kind.",
            ["kind"],
            registry=self.registry,
        )

        self.sweep_lease_held = Gauge(
            "duban_sweep_lease_held",
            "1 while this instance holds the sweep lock (of several instances, one sweeps).",
            registry=self.registry,
        )

    def update_handled(self, kind: str, seconds: float) -> None:
        """One update handled: counted by kind, its handling time observed."""
        self.handler_latency.observe(seconds)
        self.updates.labels(kind).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
