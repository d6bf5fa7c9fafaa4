"""API tokens in the demo: per firm, a read-write token for the first advisor and a read-only
one for the compliance officer, with published secrets (like the demo password, see README)
so the README's curl and Python examples work against the demo, and one household the
advisor's token "read", so who-saw-what can be asked by token.

Idempotent: a firm that has any token gets none.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from advisory import audit_actions as actions
from advisory.api.tokens import PREFIX_LENGTH, digest_of
from advisory.audit import record
from advisory.models import ApiToken, Firm, Household, Membership, Role, TokenScope
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope

DEMO_LIFETIME = dt.timedelta(days=365)


def demo_token_secret(firm_slug: str, role: str) -> str:
    """The published demo secret of a firm's advisor or compliance token (12-character
    prefix unique per firm and role: ``blt_harb_adv``)."""
    return f"blt_{firm_slug[:4]}_{role[:3]}_ballast-demo-token-2025"


def seed_api_tokens(firm: Firm) -> list[tuple[str, str, str]]:
    """Make the demo tokens; returns (email, scope, secret) of each made."""
    made: list[tuple[str, str, str]] = []
    with firm_scope(firm):
        if ApiToken.objects.exists():
            return made
        people = Membership.objects.filter(is_active=True).select_related("user")
        advisor = people.filter(role=Role.ADVISOR).order_by("user__email").first()
        compliance = people.filter(role=Role.COMPLIANCE).order_by("user__email").first()
        for membership, scope, name in (
            (advisor, TokenScope.WRITE, "CRM sync (demo)"),
            (compliance, TokenScope.READ, "Audit pull (demo)"),
        ):
            if membership is None:
                continue
            secret = demo_token_secret(firm.slug, membership.role)
            token = _make(firm, membership, scope, name, secret)
            made.append((membership.user.email, scope, secret))
            if membership.role == Role.ADVISOR:
                _read_through(firm, membership, token)
    return made


def _make(firm: Firm, membership: Membership, scope: str, name: str, secret: str) -> ApiToken:
    with acting_as(actor=membership.user, actor_label=membership.user.email, role=membership.role):
        token = ApiToken.objects.create(
            firm=firm,
            user=membership.user,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            digest=digest_of(secret),
            scope=scope,
            expires_at=timezone.now() + DEMO_LIFETIME,
        )
        record(
            firm=firm,
            action=actions.API_TOKEN_CREATED.code,
            obj=token,
            changes={"name": name, "prefix": token.prefix, "scope": scope, "token_id": token.pk},
        )
    return token


def _read_through(firm: Firm, membership: Membership, token: ApiToken) -> None:
    """One household read with the token, as GET /api/v1/households/<id>/ records it."""
    household = Household.objects.filter(primary_advisor=membership).order_by("name").first()
    if household is None:
        return
    with acting_as(
        actor=membership.user,
        actor_label=membership.user.email,
        role=membership.role,
        user_agent="python-requests/2.32 (demo)",
        api_token_id=token.pk,
    ):
        record(firm=firm, action=actions.HOUSEHOLD_VIEWED.code, obj=household)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
