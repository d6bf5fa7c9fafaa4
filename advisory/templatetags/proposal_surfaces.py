"""Open proposals where advisors look: the household page's list and the propose form's
"create another anyway" tick, read through the portfolios door (:mod:`portfolios.queries`)."""

from __future__ import annotations

from typing import Any

from django import template

from portfolios import queries as portfolio

register = template.Library()


@register.inclusion_tag("advisory/_household_open_proposals.html")
def household_open_proposals(household: Any) -> dict[str, Any]:
    """The card of the household's open proposals (nothing when there are none)."""
    return {"items": portfolio.household_open_proposals(household.pk)}


@register.simple_tag(takes_context=True)
def overlapping_open_proposals(context: template.Context) -> list:
    """The open proposals a new one from this page would overlap: the account's page has an
    ``account`` in its context, the household's page a ``household``."""
    account: Any = context.get("account")
    if account is not None and getattr(account, "household_id", None) is not None:
        return portfolio.overlapping_open_proposals(account.household_id, account.pk)
    household: Any = context.get("household")
    if household is not None and getattr(household, "pk", None) is not None:
        return portfolio.overlapping_open_proposals(household.pk)
    return []
