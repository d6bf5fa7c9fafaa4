"""Walk each firm's audit hash chain; exit non-zero naming the first broken row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.audit import verify_chain
from advisory.models import Firm


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain for one firm (--firm SLUG) or all firms."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", metavar="SLUG", help="Only this firm.")

    def handle(self, *args: Any, firm: str | None = None, **options: Any) -> None:
        firms = Firm.objects.order_by("slug")
        if firm:
            firms = firms.filter(slug=firm)
            if not firms.exists():
                raise CommandError(f"No firm with slug {firm!r}.")
        broken = []
        for each in firms:
            report = verify_chain(each)
            if report.ok:
                self.stdout.write(f"{each.slug}: OK, {report.checked} events verified")
            else:
                self.stderr.write(
                    f"{each.slug}: BROKEN at seq {report.first_bad_seq}: {report.reason} "
                    f"({report.checked} events verified before it)"
                )
                broken.append(report)
        if broken:
            names = ", ".join(f"{r.firm_slug} seq {r.first_bad_seq}" for r in broken)
            raise CommandError(f"Audit chain broken: {names}")
