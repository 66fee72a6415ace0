"""The outbox's sender: paced (``pacing``), sent (``sending``) through its own Bot (``telegram``).

What it claims and what it records are ``services.outbox.claims`` and ``services.outbox.outcomes``.
"""
