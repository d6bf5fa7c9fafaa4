"""Generate household reports for a firm and a month into the archive, in this process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.models import Firm, Household
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.queries import pricing_date
from reports.archive import generate_report
from reports.periods import parse_month
from reports.queries import last_complete_month
from reports.report_types import DisclosureMissing


def month(text: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` as the first and last day of that month, or a clear CommandError."""
    period = parse_month(text)
    if period is None:
        raise CommandError(f"Bad period {text!r}: give a month as YYYY-MM, e.g. 2025-12.")
    return period


class Command(BaseCommand):
    help = "Generate household reports of a firm for one month into the report archive."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", required=True, metavar="SLUG")
        parser.add_argument("--household", type=int, metavar="ID", help="Only this household.")
        parser.add_argument(
            "--period",
            metavar="YYYY-MM",
            help="The calendar month; default: the latest complete month before the latest "
            "price date.",
        )

    def handle(
        self, *args: Any, firm: str, household: int | None, period: str | None, **opts: Any
    ) -> None:
        try:
            firm_obj = Firm.objects.get(slug=firm)
        except Firm.DoesNotExist:
            raise CommandError(f"No firm with slug {firm!r}.") from None
        with firm_scope(firm_obj):
            if period:
                start, end = month(period)
            else:
                latest = pricing_date(firm_id=firm_obj.pk)
                if latest is None:
                    raise CommandError("No prices at all yet: import prices first, or --period.")
                start, end = month(last_complete_month(latest))
            households = Household.objects.order_by("name", "pk")
            if household is not None:
                households = households.filter(pk=household)
                if not households.exists():
                    raise CommandError(f"No household {household} in firm {firm_obj.slug}.")
            else:
                households = households.filter(model__isnull=False)
            count = 0
            with acting_as(actor_label="generate_reports command", role="system"):
                for each in households:
                    try:
                        report = generate_report(
                            household=each, period_start=start, period_end=end, actor=None
                        )
                    except DisclosureMissing as exc:
                        raise CommandError(str(exc)) from None
                    count += 1
                    self.stdout.write(
                        f"report {report.pk}: {each.name} {start} to {end}, as of "
                        f"{report.as_of}, {report.size:,} bytes, {report.file.name}"
                    )
        self.stdout.write(f"{firm_obj.slug}: {count} reports generated for {start} to {end}.")
