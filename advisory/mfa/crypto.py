"""Encryption of MFA secrets at rest (TOTP secrets, recovery-code seeds).

Keys come from ``settings.BALLAST_MFA_KEYS``, newest first: the first encrypts, every key
decrypts (MultiFernet), so a key is rotated by putting a new one in front, running
``manage.py rotate_mfa_keys`` and then dropping the old one. A key is any secret of 32+
characters; the Fernet key is its SHA-256, so operators need no special format.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MIN_KEY_LENGTH = 32


class UndecryptableSecret(ValueError):
    """A stored secret that none of the configured keys opens (wrong or missing key)."""


def fernet_key(secret: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest())


def keyring(secrets: Sequence[str] | None = None) -> MultiFernet:
    secrets = list(settings.BALLAST_MFA_KEYS if secrets is None else secrets)
    if not secrets:
        raise ImproperlyConfigured("BALLAST_MFA_KEYS is empty: MFA secrets cannot be stored.")
    short = [i for i, s in enumerate(secrets) if len(s) < MIN_KEY_LENGTH]
    if short:
        raise ImproperlyConfigured(
            f"BALLAST_MFA_KEYS: key #{short[0] + 1} is shorter than {MIN_KEY_LENGTH} characters."
        )
    return MultiFernet([Fernet(fernet_key(s)) for s in secrets])


def encrypt(text: str) -> str:
    return keyring().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return keyring().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError):
        # No plaintext fallback: a row someone wrote in the clear must not be trusted.
        raise UndecryptableSecret("An MFA secret could not be decrypted.") from None


def rotate(token: str) -> str:
    """The same secret under the newest key."""
    return keyring().rotate(token.encode("ascii")).decode("ascii")


def map_secrets(kind: str, data: dict, convert: Callable[[str], str]) -> dict:
    """``data`` of an allauth Authenticator of type ``kind`` with ``convert`` applied to the
    values allauth passes through ``encrypt``: a TOTP secret, a recovery-code seed (or the
    codes of the legacy format). WebAuthn data holds no secret and is returned as is."""
    out = dict(data)
    if kind == "totp" and "secret" in out:
        out["secret"] = convert(out["secret"])
    if kind == "recovery_codes":
        if "seed" in out:
            out["seed"] = convert(out["seed"])
        if "migrated_codes" in out:
            out["migrated_codes"] = [convert(code) for code in out["migrated_codes"]]
    return out
