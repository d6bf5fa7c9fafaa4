"""Endpoint signing secrets: generated here, stored encrypted, read back only to sign.

Encrypted with the MFA keyring (``BALLAST_MFA_KEYS``, :mod:`advisory.mfa.crypto`): the same
MultiFernet keys and rotation, so operators keep one set of application-secret keys.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from ..mfa import crypto
from ..models import Firm, WebhookEndpoint
from ..tenancy import firm_scope

PREFIX = "whsec_"  # tells a person which secret they are looking at


def generate() -> str:
    """32 random bytes, URL-safe base64, with a recognisable prefix."""
    return PREFIX + secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    return crypto.encrypt(secret)


def unseal(token: str) -> str:
    return crypto.decrypt(token)


def reseal(token: str) -> str:
    """The same secret under the newest key (for a key rotation)."""
    return crypto.rotate(token)


def reseal_all() -> int:
    """Re-encrypt every firm's endpoint secrets under the newest key (after a new key was put
    first in ``BALLAST_MFA_KEYS``, before the old one is dropped); the number rewritten."""
    changed = 0
    for firm_id in Firm.objects.order_by("pk").values_list("pk", flat=True):
        with firm_scope(firm_id), transaction.atomic():
            for endpoint in WebhookEndpoint.objects.select_for_update().order_by("pk"):
                endpoint.secret_encrypted = reseal(endpoint.secret_encrypted)
                endpoint.save(update_fields=["secret_encrypted"])
                changed += 1
    return changed
