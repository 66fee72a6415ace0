"""Secret tokens (invites, sign-in links, console sessions): only their hash is ever stored."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()
