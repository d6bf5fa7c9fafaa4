"""The periods a client can see their change in value over."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    key: str
    label: str  # "This year"

    def start(self, as_of: dt.date) -> dt.date:
        """The day the period starts for values as of ``as_of``."""
        if self.key == "ytd":
            return dt.date(as_of.year, 1, 1)
        months = {"3m": 3, "12m": 12}[self.key]
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        day = min(as_of.day, _month_days(year, month + 1))
        return dt.date(year, month + 1, day)


def _month_days(year: int, month: int) -> int:
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    return (following - dt.timedelta(days=1)).day


PERIODS = (
    Period("3m", "Past 3 months"),
    Period("ytd", "This year"),
    Period("12m", "Past 12 months"),
)
DEFAULT_PERIOD = PERIODS[1]


def period_named(key: str | None) -> Period:
    """The period for a query-string key; the default for anything else."""
    return next((p for p in PERIODS if p.key == key), DEFAULT_PERIOD)
