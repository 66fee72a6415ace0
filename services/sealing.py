"""Keyed hashes and encryption that keep a complainant's chat out of the database.

A complaint written in chat is kept between updates so that any instance may take the next
step, but the database must not say whose chat it is. Everything here is keyed by the
deployment's secret (``DUBAN_SECRET_KEY``, or one derived from the bot token), which is never
stored in the database:

- a draft is found by :meth:`Sealer.draft_key`, an HMAC-SHA256 of the chat under that secret;
- its content is encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from the secret
  and the chat id, the row's key bound in as associated data, so a row cannot be read without
  both, nor moved to another chat's row;
- the abuse limits count under :meth:`Sealer.limit_key`, an HMAC of the sender with the day in
  its label, so one day's counts cannot be linked to the next day's.

Whoever holds the secret can try every chat id, so the secret is what protects these rows, and
their short lifetime is what limits what a leaked secret tells (SECURITY.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
VERSION = b"\x01"  # the first byte of a sealed draft: how it was sealed


def derive(material: bytes, label: bytes) -> bytes:
    """32 bytes from ``material`` for one purpose, named by ``label`` (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(material)


class Sealer:
    """The keyed hashes and the draft encryption under one deployment secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the secret is too short")
        self._lookup = derive(secret, b"duban complaint draft lookup")
        self._limits = derive(secret, b"duban complaint limits")
        self._sealing = derive(secret, b"duban complaint draft sealing")

    def draft_key(self, name: str, chat_id: int) -> str:
        """Where a chat's draft of conversation ``name`` is kept: a keyed hash, hex."""
        message = f"draft|{name}|{chat_id}".encode()
        return hmac.new(self._lookup, message, hashlib.sha256).hexdigest()

    def limit_key(self, channel: str, sender: str, day: date) -> str:
        """Under what a sender's counts are kept on ``day``; another day gives another key."""
        message = f"limits|{day.isoformat()}|{channel}|{sender}".encode()
        return hmac.new(self._limits, message, hashlib.sha256).hexdigest()

    def _cipher(self, chat_id: int) -> AESGCM:
        return AESGCM(derive(self._sealing, f"chat|{chat_id}".encode()))

    def seal(self, chat_id: int, row_key: str, content: dict[str, Any]) -> bytes:
        """``content`` (JSON) encrypted for this chat, bound to the row it is kept in."""
        nonce = os.urandom(NONCE_BYTES)
        plain = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
        return VERSION + nonce + self._cipher(chat_id).encrypt(nonce, plain, row_key.encode())

    def unseal(self, chat_id: int, row_key: str, sealed: bytes) -> dict[str, Any] | None:
        """The content, or None when it cannot be read: another secret or chat, another row,
        a damaged or foreign value."""
        if len(sealed) <= 1 + NONCE_BYTES or sealed[:1] != VERSION:
            return None
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            plain = self._cipher(chat_id).decrypt(nonce, body, row_key.encode())
            content = json.loads(plain)
        except (InvalidTag, ValueError):
            return None
        return content if isinstance(content, dict) else None
