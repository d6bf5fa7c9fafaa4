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


@dataclass(frozen=True)
class ReleasedDocument:
    """A released report as the client portal lists it."""

    id: int
    title: str  # "Household report, November 2026"
    period_start: dt.date
    period_end: dt.date
    released_at: dt.datetime
    size: int  # bytes
    corrects_id: int | None  # the earlier report this one corrects
    corrected: bool  # a later released report corrects this one


def released_documents(household: Household) -> list[ReleasedDocument]:
    """The household's released reports, newest release first (one query)."""
    reports = list(
        ArchivedReport.objects.filter(household=household, release__isnull=False)
        .select_related("release")
        .order_by("-release__released_at", "-pk")
    )
    corrected = {r.supersedes_id for r in reports if r.supersedes_id is not None}
    return [
        ReleasedDocument(
            id=r.pk,
            title=f"Household report, {r.period_start:%B %Y}",
            period_start=r.period_start,
            period_end=r.period_end,
            released_at=r.release.released_at,
            size=r.size,
            corrects_id=r.supersedes_id,
            corrected=r.pk in corrected,
        )
        for r in reports
    ]


def released_report(household: Household, report_id: int) -> ArchivedReport | None:
    """One released report of the household, or None (another household's, another
    firm's, not released yet, or no such id all look the same). One query."""
    return (
        ArchivedReport.objects.filter(household=household, release__isnull=False, pk=report_id)
        .select_related("household")
        .first()
    )


def download_name(report: ArchivedReport) -> str:
    """The file name a downloaded report gets."""
    return f"report-{report.household_id}-{report.period_start:%Y-%m}-{report.pk}.pdf"


@dataclass(frozen=True)
class ReleaseRow:
    """A report released in a period, as the compliance review queue lists it."""

    id: int
    household: str
    period_start: dt.date
    released_at: dt.datetime
    released_by: str
    disclosure_versions: list  # [{"key", "version_id", "number"}, …] as archived
    supersedes_id: int | None


def releases_between(start: dt.datetime, end: dt.datetime, limit: int = 200) -> list[ReleaseRow]:
    """Reports released in ``[start, end)``, newest first, with the disclosure versions each
    was rendered with (one query)."""
    reports = (
        ArchivedReport.objects.filter(release__released_at__gte=start, release__released_at__lt=end)
        .select_related("household", "release__released_by")
        .order_by("-release__released_at", "-pk")[:limit]
    )
    return [
        ReleaseRow(
            id=r.pk,
            household=r.household.name,
            period_start=r.period_start,
            released_at=r.release.released_at,
            released_by=r.release.released_by.email if r.release.released_by else "system",
            disclosure_versions=list(r.disclosure_versions),
            supersedes_id=r.supersedes_id,
        )
        for r in reports
    ]
