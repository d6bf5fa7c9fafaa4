"""Dispose of a firm's records past retention and not on legal hold (audited, anchored)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.models import Firm
from reports.records.disposal import plan_disposal, run_disposal


class Command(BaseCommand):
    help = (
        "List (--dry-run) or dispose of one firm's audit events and archived reports that are "
        "past retention (BALLAST_RETENTION_YEARS after the end of their fiscal year) and not "
        "on legal hold. The disposal is audited (records.disposed), anchored and verified."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", metavar="SLUG", required=True, help="The firm.")
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be disposed of; change nothing."
        )

    def handle(self, *args: Any, firm: str, dry_run: bool = False, **options: Any) -> None:
        found = Firm.objects.filter(slug=firm).first()
        if found is None:
            raise CommandError(f"No firm with slug {firm!r}.")
        if dry_run:
            plan = plan_disposal(found)
            for line in plan.summary_lines():
                self.stdout.write(line)
            self.stdout.write("Dry run: nothing was disposed of.")
            return
        run = run_disposal(found)
        for line in run.plan.summary_lines():
            self.stdout.write(line)
        if run.plan.empty:
            self.stdout.write("Nothing to dispose of.")
        else:
            self.stdout.write(
                f"Disposed of {run.plan.event_count} audit event(s) and "
                f"{len(run.plan.report_ids)} report(s); recorded as disposal "
                f"#{run.plan.disposal_id}, anchored in {run.anchor_file}."
            )
        report = run.report
        if not report.ok:
            raise CommandError(
                f"{report.firm_slug}: chain BROKEN at seq {report.first_bad_seq}: {report.reason}"
            )
        self.stdout.write(
            f"{report.firm_slug}: chain OK, {report.checked} events verified, "
            f"{report.anchors_checked} anchors matched"
        )
