"""Re-hash every archived report's stored file; exit non-zero naming each mismatch or loss."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.models import Firm
from advisory.tenancy import firm_scope
from reports.archive import verify_report
from reports.models import ArchivedReport


class Command(BaseCommand):
    help = "Verify the report archive's files against their SHA-256 (one firm or all firms)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", metavar="SLUG", help="Only this firm.")

    def handle(self, *args: Any, firm: str | None = None, **options: Any) -> None:
        firms = Firm.objects.order_by("slug")
        if firm:
            firms = firms.filter(slug=firm)
            if not firms.exists():
                raise CommandError(f"No firm with slug {firm!r}.")
        checked, bad = 0, []
        for each in firms:
            with firm_scope(each):
                reports = ArchivedReport.objects.select_related("household").order_by("pk")
                for report in reports.iterator():
                    checked += 1
                    problem = verify_report(report)
                    if problem:
                        name = report.household.name
                        self.stderr.write(f"{each.slug}: report {report.pk} ({name}): {problem}")
                        bad.append(report.pk)
        if bad:
            raise CommandError(
                f"{len(bad)} of {checked} reports failed verification: "
                + ", ".join(f"report {pk}" for pk in bad)
            )
        self.stdout.write(f"OK, {checked} reports")
