"""Verify each firm's audit chain against its keys and anchors; exit non-zero on a failure."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.chain.verify import verify_all
from advisory.models import Firm


class Command(BaseCommand):
    help = (
        "Verify the audit trail's keyed hash chain, and every anchor of it, for one firm "
        "(--firm SLUG) or all firms."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", metavar="SLUG", help="Only this firm.")

    def handle(self, *args: Any, firm: str | None = None, **options: Any) -> None:
        firms = None
        if firm:
            firms = list(Firm.objects.filter(slug=firm))
            if not firms:
                raise CommandError(f"No firm with slug {firm!r}.")
        reports = verify_all(firms)
        broken = [r for r in reports if not r.ok]
        for report in reports:
            if report.ok:
                self.stdout.write(
                    f"{report.firm_slug}: OK, {report.checked} events verified, "
                    f"{report.anchors_checked} anchors matched"
                )
            else:
                self.stderr.write(
                    f"{report.firm_slug}: BROKEN at seq {report.first_bad_seq}: {report.reason} "
                    f"({report.checked} events verified before it)"
                )
        if broken:
            names = ", ".join(f"{r.firm_slug} seq {r.first_bad_seq}" for r in broken)
            raise CommandError(f"Audit chain broken: {names}")
        total = sum(r.checked for r in reports)
        self.stdout.write(f"All {len(reports)} chain(s) verified: {total} events.")
