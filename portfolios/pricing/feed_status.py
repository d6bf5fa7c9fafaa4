"""What the last price feed run means for one firm: the banner on drift runs and advisor home.

A run lists every security held by *any* firm that lacks a fresh shared
price; a firm is shown only its own holdings among them (another firm's
holdings are none of its business), and a close the firm entered by hand
(``manual:<slug>``) counts as a fresh price for it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from portfolios.models import PriceFeedRun, PriceFeedState, Security, TaxLot
from portfolios.valuation import latest_prices

MAX_SHOWN = 8  # symbols named in the banner; the rest are counted


@dataclass(frozen=True)
class FeedWarning:
    run: PriceFeedRun
    failed: bool
    missing: list[str]
    stale: list[str]

    @property
    def stale_days(self) -> int:
        return settings.BALLAST_PRICE_STALE_DAYS

    @property
    def count(self) -> int:
        return len(self.missing) + len(self.stale)

    @property
    def shown_missing(self) -> list[str]:
        return self.missing[:MAX_SHOWN]

    @property
    def shown_stale(self) -> list[str]:
        return self.stale[:MAX_SHOWN]

    @property
    def more(self) -> int:
        return max(0, len(self.missing) - MAX_SHOWN) + max(0, len(self.stale) - MAX_SHOWN)


def feed_warning(firm_id: int) -> FeedWarning | None:
    """The warning for the firm's holdings after the last finished run, or None (all fresh).

    Call inside the firm's scope (a request, or ``firm_scope``).
    """
    run = PriceFeedRun.objects.exclude(state=PriceFeedState.RUNNING).first()
    if run is None:
        return None
    gaps = set(run.missing) | set(run.stale)
    mine: dict[int, str] = {}
    if gaps:
        held = TaxLot.objects.filter(quantity__gt=0, security__symbol__in=gaps)
        ids = set(held.values_list("security_id", flat=True))
        mine = dict(Security.objects.filter(pk__in=ids).values_list("pk", "symbol"))
    # A manual close of the firm's own can fill a gap the shared feed left.
    as_of = timezone.localdate(run.finished_at or run.started_at)
    prices = latest_prices(mine, as_of, firm_id)
    fresh_after = as_of - dt.timedelta(days=settings.BALLAST_PRICE_STALE_DAYS)
    missing = sorted(mine[s] for s in mine if s not in prices)
    stale = sorted(mine[s] for s, p in prices.items() if p.date < fresh_after)
    failed = run.state == PriceFeedState.FAILED
    if not (failed or missing or stale):
        return None
    return FeedWarning(run, failed, missing, stale)
