"""The audit chain's HMAC keys, configured outside the database.

``settings.BALLAST_AUDIT_KEYS`` maps a short key id to its secret; new events are hashed
under ``settings.BALLAST_AUDIT_KEY_ID`` and store that id, so verification picks each
event's key by id and old keys keep verifying after a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS_HASH = "0" * 64
MIN_SECRET_LENGTH = 32
MAX_KEY_ID_LENGTH = 32  # AuditEvent.key_id


def audit_keys() -> dict[str, bytes]:
    """Every configured key, by id (the current one and those kept for verifying)."""
    return {str(k): str(v).encode() for k, v in settings.BALLAST_AUDIT_KEYS.items()}


def current_key() -> tuple[str, bytes]:
    """The id and secret new events are hashed under; refuses a missing key."""
    key_id = settings.BALLAST_AUDIT_KEY_ID
    keys = audit_keys()
    if not key_id or key_id not in keys:
        raise ImproperlyConfigured(
            f"BALLAST_AUDIT_KEY_ID {key_id!r} is not one of BALLAST_AUDIT_KEYS' ids."
        )
    return key_id, keys[key_id]


def canonical_json(content: Mapping[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(prev_hash: str, content: Mapping[str, Any], key: bytes | None = None) -> str:
    """HMAC-SHA256 of the link and the content under ``key``; plain SHA-256 without one
    (the rule of events written before the chain was keyed)."""
    message = (prev_hash + canonical_json(content)).encode()
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def configuration_errors(*, deploy: bool) -> list[str]:
    """What is wrong with the key settings; ``deploy`` also refuses the development key."""
    errors = []
    keys = settings.BALLAST_AUDIT_KEYS
    for key_id, secret in keys.items():
        if not key_id or len(key_id) > MAX_KEY_ID_LENGTH or ":" in key_id:
            errors.append(f"Audit key id {key_id!r} must be 1-{MAX_KEY_ID_LENGTH} characters.")
        if len(secret) < MIN_SECRET_LENGTH:
            errors.append(f"Audit key {key_id!r} is shorter than {MIN_SECRET_LENGTH} characters.")
    if settings.BALLAST_AUDIT_KEY_ID not in keys:
        errors.append(
            f"BALLAST_AUDIT_KEY_ID {settings.BALLAST_AUDIT_KEY_ID!r} is not in BALLAST_AUDIT_KEYS."
        )
    if deploy and "dev" in keys:
        errors.append(
            "The audit chain uses the development key derived from SECRET_KEY: "
            "set BALLAST_AUDIT_KEYS and BALLAST_AUDIT_KEY_ID."
        )
    return errors
