"""Restrictions in the demo: one firm-wide do-not-sell and one household do-not-buy.

The do-not-sell is on the security most of the firm's accounts hold (so proposals show it
named in their notes); the do-not-buy is on a security the first household's model buys.
Both go through :mod:`portfolios.restrictions.lists` as the firm admin, audited.
Idempotent: a firm that has any restriction gets none.
"""

from __future__ import annotations

from django.db.models import Count

from advisory.models import Firm, Household, Membership, Role
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.models import Restriction, Target, TaxLot
from portfolios.restrictions.lists import add_restriction

SELL_REASON = "Pending merger review: hold until the deal closes."
BUY_REASON = "The clients asked not to own it (values preference)."


def seed_restrictions(firm: Firm) -> int:
    """Add the two restrictions if the firm has none; returns how many were added."""
    with firm_scope(firm):
        admin = (
            Membership.objects.filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("user__email")
            .first()
        )
        if admin is None or Restriction.objects.exists():
            return 0
        held = TaxLot.objects.filter(quantity__gt=0).exclude(security__asset_class__slug="cash")
        most = (
            held.values("security__symbol")
            .annotate(n=Count("account", distinct=True))
            .order_by("-n", "security__symbol")
            .first()
        )
        household = Household.objects.filter(model__isnull=False).order_by("name").first()
        buy = None
        if household is not None:
            buy = (
                Target.objects.filter(model_id=household.model_id, preferred_security__isnull=False)
                .exclude(preferred_security__asset_class__slug="cash")
                .order_by("-weight", "pk")
                .values_list("preferred_security__symbol", flat=True)
                .first()
            )
        added = 0
        with acting_as(actor=admin.user, actor_label=admin.user.email, role=admin.role):
            if most is not None:
                add_restriction(
                    firm=firm,
                    actor=admin.user,
                    symbol=most["security__symbol"],
                    side="sell",
                    reason=SELL_REASON,
                )
                added += 1
            sold = most["security__symbol"] if most is not None else None
            if household is not None and buy is not None and buy != sold:
                add_restriction(
                    firm=firm,
                    actor=admin.user,
                    symbol=buy,
                    side="buy",
                    household=household,
                    reason=BUY_REASON,
                )
                added += 1
        return added
