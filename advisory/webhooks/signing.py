"""Signing a delivery, and the verification a receiver does (docs/webhooks.md).

``Ballast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``: the
timestamp is signed with the body, so a captured request cannot be replayed later than the
receiver's tolerance, nor its body changed.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Ballast-Signature"
EVENT_HEADER = "Ballast-Event"
DELIVERY_HEADER = "Ballast-Delivery"
TOLERANCE_SECONDS = 5 * 60


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature(secret, t, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """The receiver's check: a ``v1`` signature of this body and timestamp under the secret,
    and a timestamp within ``tolerance`` seconds of now. Constant-time comparison."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, t, body), parts.get("v1", ""))
