"""Making and checking API token secrets.

A secret is ``blt_`` + 40 random URL-safe characters. Its first 12 characters are the
token's ``prefix`` (shown in lists, not enough to use it); only the SHA-256 of the whole
secret is stored (``digest``), so the secret exists only in the response that made it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import ApiToken, Membership, TokenScope

SECRET_PREFIX = "blt_"  # noqa: S105 (a marker that names the kind of secret, not a secret)
PREFIX_LENGTH = 12


@dataclass(frozen=True)
class NewSecret:
    secret: str
    prefix: str
    digest: str


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> NewSecret:
    secret = SECRET_PREFIX + secrets.token_urlsafe(30)
    return NewSecret(secret=secret, prefix=secret[:PREFIX_LENGTH], digest=digest_of(secret))


# --- Making and revoking (the tokens page, advisory/views/api_tokens.py) ----------------------


def max_days() -> int:
    return int(settings.BALLAST_API_TOKEN_MAX_DAYS)


def default_days() -> int:
    return int(settings.BALLAST_API_TOKEN_DEFAULT_DAYS)


@transaction.atomic
def create_token(
    *, membership: Membership, name: str, scope: str, days: int
) -> tuple[ApiToken, str]:
    """A new token for the membership's user in its firm, audited; returns it and its
    secret (the only time the secret exists outside the caller's hands)."""
    if scope not in TokenScope.values:
        raise ValueError(f"Unknown scope {scope!r}.")
    if not 1 <= days <= max_days():
        raise ValueError(f"A token lasts 1 to {max_days()} days.")
    if not membership.is_staff_role:
        raise ValueError("Clients use the portal: API tokens are for staff.")
    if scope == TokenScope.WRITE and not membership.can_write:
        raise ValueError("Your role is read-only: make a read-only token.")
    made = new_secret()
    token = ApiToken.objects.create(
        firm=membership.firm,
        user=membership.user,
        name=name.strip(),
        prefix=made.prefix,
        digest=made.digest,
        scope=scope,
        expires_at=timezone.now() + timedelta(days=days),
    )
    record(
        firm=membership.firm,
        action=actions.API_TOKEN_CREATED.code,
        obj=token,
        changes={
            "name": token.name,
            "prefix": token.prefix,
            "scope": token.scope,
            "expires_at": token.expires_at.isoformat(),
            "token_id": token.pk,
        },
    )
    return token, made.secret


@transaction.atomic
def revoke_token(*, token: ApiToken) -> bool:
    """Revoke a token (at once: the next request with it is a 401); audited. False when it
    was already revoked."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        return False
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    record(
        firm=locked.firm_id,
        action=actions.API_TOKEN_REVOKED.code,
        obj=locked,
        changes={"name": locked.name, "prefix": locked.prefix, "token_id": locked.pk},
    )
    token.revoked_at = locked.revoked_at
    return True
