"""The retention cutoff: N years from the end of the fiscal year a record was made in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from advisory.retention.cutoff import (
    fiscal_year_end_of,
    kept_until,
    retention_cutoff,
)

D = dt.date


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)  # TIME_ZONE is UTC


@pytest.mark.parametrize(
    ("today", "cutoff"),
    [
        (D(2026, 6, 15), D(2021, 1, 1)),  # FY2020 ended 2020-12-31, kept through 2025-12-31
        (D(2025, 12, 31), D(2020, 1, 1)),  # the last day FY2020 must still be kept
        (D(2026, 1, 1), D(2021, 1, 1)),  # the first day it may go
    ],
)
def test_calendar_fiscal_year(today, cutoff):
    assert retention_cutoff(today, years=5, end=(12, 31)) == start_of(cutoff)


def test_defaults_come_from_the_settings(settings):
    settings.BALLAST_RETENTION_YEARS, settings.BALLAST_FISCAL_YEAR_END = 7, "03-31"
    # FY ending 2018-03-31 is kept through 2025-03-31: on 2025-04-01 it may go.
    assert retention_cutoff(D(2025, 4, 1)) == start_of(D(2018, 4, 1))
    assert retention_cutoff(D(2025, 3, 31)) == start_of(D(2017, 4, 1))


@pytest.mark.parametrize(
    ("made", "until"),
    [
        (D(2020, 6, 30), D(2025, 6, 30)),  # the last day of FY2020 (July–June)
        (D(2020, 7, 1), D(2026, 6, 30)),  # the first day of FY2021
        (D(2021, 1, 15), D(2026, 6, 30)),
    ],
)
def test_a_june_fiscal_year_end(made, until):
    assert kept_until(made, years=5, end=(6, 30)) == until
    # Disposable exactly from the day after ``until``, not a day earlier.
    made_at = start_of(made)
    assert made_at < retention_cutoff(until + dt.timedelta(days=1), years=5, end=(6, 30))
    assert not made_at < retention_cutoff(until, years=5, end=(6, 30))


def test_leap_days():
    # A fiscal year ending on the last day of February: 29th in leap years, 28th otherwise.
    feb = (2, 29)
    assert fiscal_year_end_of(D(2020, 2, 29), feb) == D(2020, 2, 29)
    assert fiscal_year_end_of(D(2021, 2, 28), feb) == D(2021, 2, 28)
    assert fiscal_year_end_of(D(2021, 3, 1), feb) == D(2022, 2, 28)
    assert kept_until(D(2020, 2, 29), years=5, end=feb) == D(2025, 2, 28)
    assert retention_cutoff(D(2025, 3, 1), years=5, end=feb) == start_of(D(2020, 3, 1))
    assert retention_cutoff(D(2025, 2, 28), years=5, end=feb) == start_of(D(2019, 3, 1))
    # A record made on a leap day of a calendar fiscal year.
    assert kept_until(D(2024, 2, 29), years=5, end=(12, 31)) == D(2029, 12, 31)
    # A fixed 02-28 end: 2024-02-29 falls in the fiscal year ending 2025-02-28.
    assert fiscal_year_end_of(D(2024, 2, 29), (2, 28)) == D(2025, 2, 28)
    assert kept_until(D(2024, 2, 29), years=5, end=(2, 28)) == D(2030, 2, 28)


def test_settings_below_five_years_or_malformed_are_refused(settings):
    settings.BALLAST_RETENTION_YEARS = 4
    with pytest.raises(ImproperlyConfigured, match="at least 5"):
        retention_cutoff(D(2026, 1, 1))
    settings.BALLAST_RETENTION_YEARS = 5
    for bad in ("13-01", "12/31", "02-30", ""):
        settings.BALLAST_FISCAL_YEAR_END = bad
        with pytest.raises(ImproperlyConfigured, match="month-day"):
            retention_cutoff(D(2026, 1, 1))
