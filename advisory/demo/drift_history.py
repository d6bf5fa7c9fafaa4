"""Drift history for the demo: month-end runs over the second half of 2025.

The demo has no trade history, so these runs value today's holdings at each
month-end's sample prices: enough to show drift building up as large caps ran
ahead. Dates that already have snapshots are skipped, so seeding stays
idempotent.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Max

from advisory.models import Firm
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.models import DriftSnapshot, Price

HISTORY_MONTHS = [dt.date(2025, m, 1) for m in range(7, 13)]


def month_end_pricing_dates() -> list[dt.date]:
    """The last date with prices in each history month (the last is the pricing date)."""
    dates = []
    for first in HISTORY_MONTHS:
        after = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = Price.objects.filter(date__gte=first, date__lt=after).aggregate(d=Max("date"))["d"]
        if last:
            dates.append(last)
    return dates


def seed_drift_history(firm: Firm) -> int:
    """Compute the firm's drift on each month-end that has none yet. Returns runs made."""
    made = 0
    for as_of in month_end_pricing_dates():
        with firm_scope(firm):
            if DriftSnapshot.objects.filter(as_of=as_of).exists():
                continue
        with acting_as(actor_label="seed_demo", role="system"):
            run, created = drift_runs.start_run(firm, as_of)
        drift_runs.process_inline(run)
        made += created
    return made
