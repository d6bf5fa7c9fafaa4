"""Which of a firm's holdings have a fresh price for a date."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.models import Security, TaxLot
from portfolios.valuation import latest_prices


def check_coverage(firm: Firm, as_of: dt.date) -> dict:
    """Count held securities priced on or shortly before ``as_of``; audit the result."""
    with firm_scope(firm):
        held = set(TaxLot.objects.filter(quantity__gt=0).values_list("security_id", flat=True))
        prices = latest_prices(held, as_of, firm.pk)
        fresh_after = as_of - dt.timedelta(days=settings.BALLAST_PRICE_STALE_DAYS)
        symbols = dict(Security.objects.filter(pk__in=held).values_list("pk", "symbol"))
        missing = sorted(symbols[s] for s in held if s not in prices)
        stale = sorted(symbols[s] for s, p in prices.items() if p.date < fresh_after)
        summary = {
            "as_of": as_of.isoformat(),
            "held": len(held),
            "fresh": len(held) - len(missing) - len(stale),
            "missing": missing,
            "stale": stale,
        }
        with acting_as(actor_label="pricing check", role="system"):
            record(
                firm=firm,
                action=actions.PRICING_CHECKED.code,
                object_repr=as_of.isoformat(),
                changes=summary,
            )
    return summary
