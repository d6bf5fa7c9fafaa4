"""Invitation link tokens: random, shown once (in the e-mail), stored only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits: a link cannot be guessed, so no lookup needs rate limiting


def digest_of(token: str) -> str:
    """The stored form of a token (hex SHA-256): a leaked table yields no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh URL-safe token and its digest."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest_of(token)
