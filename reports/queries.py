"""What pages of other apps may read of the report archive: named functions that run a
fixed number of queries in the active firm scope (the door, like ``portfolios.queries``)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from advisory.models import Household
from portfolios.queries import pricing_date

from .models import ArchivedReport


@dataclass(frozen=True)
class ReportRow:
    """One archived report as a household page lists it."""

    id: int
    period_start: dt.date
    period_end: dt.date
    generated_at: dt.datetime
    generated_by: str
    released_at: dt.datetime | None
    supersedes_id: int | None


def last_complete_month(day: dt.date | None = None) -> str:
    """``YYYY-MM`` of the last calendar month that ends on or before ``day`` (default: today)."""
    day = day or timezone.localdate()
    last = dt.date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    if day < last:
        last = day.replace(day=1) - dt.timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def default_report_month(firm_id: int) -> str:
    """The month a report defaults to: the last one the firm's prices cover to its end (a
    report's values are as of its last day), or today's last complete month without prices."""
    return last_complete_month(pricing_date(firm_id=firm_id))


def household_reports(household: Household) -> list[ReportRow]:
    """The household's archived reports, newest first (one query)."""
    reports = (
        ArchivedReport.objects.filter(household=household)
        .select_related("generated_by", "release")
        .order_by("-generated_at", "-pk")
    )
    rows = []
    for report in reports:
        release = getattr(report, "release", None)
        rows.append(
            ReportRow(
                id=report.pk,
                period_start=report.period_start,
                period_end=report.period_end,
                generated_at=report.generated_at,
                generated_by=str(report.generated_by) if report.generated_by else "System",
                released_at=release.released_at if release else None,
                supersedes_id=report.supersedes_id,
            )
        )
    return rows
