"""How long books and records are kept: the retention cutoff.

A record made on date *d* is kept until the end of the fiscal year containing *d*, plus
``BALLAST_RETENTION_YEARS`` years (SEC Rule 204-2: five years from the end of the fiscal
year of the last entry). The fiscal year ends on ``BALLAST_FISCAL_YEAR_END`` ("MM-DD"; a
February end of "02-29" means the last day of February, 28 or 29).

:func:`retention_cutoff` turns that into one instant: everything created *before* it may be
disposed of today, nothing created at or after it may.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

MINIMUM_YEARS = 5  # the triggers hold the same floor (advisory/0009)


def retention_years() -> int:
    years = settings.BALLAST_RETENTION_YEARS
    if not isinstance(years, int) or years < MINIMUM_YEARS:
        raise ImproperlyConfigured(
            f"BALLAST_RETENTION_YEARS must be a whole number of at least {MINIMUM_YEARS}, "
            f"not {years!r}."
        )
    return years


def fiscal_year_end() -> tuple[int, int]:
    """The configured (month, day) the fiscal year ends on."""
    text = str(settings.BALLAST_FISCAL_YEAR_END)
    try:
        month_s, day_s = text.split("-")
        month, day = int(month_s), int(day_s)
        dt.date(2000, month, day)  # a leap year: 02-29 is allowed
    except ValueError:
        raise ImproperlyConfigured(
            f"BALLAST_FISCAL_YEAR_END must be a month-day like '12-31', not {text!r}."
        ) from None
    return month, day


def fiscal_year_end_in(year: int, end: tuple[int, int] | None = None) -> dt.date:
    """The day fiscal year ``year`` ends (a February 29 end is February 28 in other years)."""
    month, day = end or fiscal_year_end()
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def fiscal_year_end_of(day: dt.date, end: tuple[int, int] | None = None) -> dt.date:
    """The last day of the fiscal year that contains ``day``."""
    this_year = fiscal_year_end_in(day.year, end)
    return this_year if day <= this_year else fiscal_year_end_in(day.year + 1, end)


def kept_until(day: dt.date, *, years: int | None = None, end=None) -> dt.date:
    """The last day a record made on ``day`` must still be kept."""
    years = retention_years() if years is None else years
    return fiscal_year_end_in(fiscal_year_end_of(day, end).year + years, end)


def retention_cutoff(
    today: dt.date | None = None, *, years: int | None = None, end: tuple[int, int] | None = None
) -> dt.datetime:
    """The newest creation time that may be disposed of on ``today``, exclusive.

    Records created before the returned instant (the start of the day after the last fiscal
    year end whose retention has fully run out, in the project's time zone) are past
    retention; records created at or after it are kept. ``today`` defaults to the local date.
    """
    years = retention_years() if years is None else years
    end = end or fiscal_year_end()
    today = today or timezone.localdate()
    # The last fiscal year end E whose retention, E + years, ended before today.
    year = today.year if fiscal_year_end_in(today.year, end) < today else today.year - 1
    last_expired = fiscal_year_end_in(year - years, end)
    start = dt.datetime.combine(last_expired + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start, timezone.get_default_timezone())
