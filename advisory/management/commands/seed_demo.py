"""Load the demo firms, people, households and SYNTHETIC sample prices (idempotent)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from advisory.demo import DEMO_PASSWORD, DemoReport, demo_logins, seed_demo
from advisory.demo.drift_history import seed_drift_history
from advisory.demo.firm_week import FirmWeek, seed_firm_week
from advisory.demo.reports import seed_portal_reports
from advisory.models import Firm


class Command(BaseCommand):
    help = "Create the demo firms and data if missing; running it again creates nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even under production settings (demo logins share a public password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Published passwords must not reach a real deployment by accident.
        if settings.SETTINGS_MODULE.endswith(".production") and not options["allow_production"]:
            raise CommandError("Refusing to seed demo logins under production settings.")
        started = time.monotonic()
        report = seed_demo()
        runs = sum(seed_drift_history(firm) for firm in Firm.objects.order_by("pk"))
        reports = seed_portal_reports()
        week = seed_firm_week()
        self.print_logins()
        self.print_counts(report)
        self.stdout.write(f"Drift runs computed: {runs} (month-ends Jul–Dec 2025)\n")
        self.stdout.write(f"Reports generated and released to the portal clients: {reports}\n")
        self.print_week(week)
        created = report.created_anything or reports or week.created_anything
        verb = "Seeded" if created else "Nothing to create; demo already"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} in place ({time.monotonic() - started:.1f} s).")
        )

    def print_week(self, week: FirmWeek) -> None:
        self.stdout.write(
            f"Proposals showing four eyes (one self-approved below the threshold, one "
            f"waiting for a second approver): {week.proposals}; executed from a custodian "
            f"file: {week.executions}\n"
            f"Model versions recorded: {week.model_versions}; restrictions: "
            f"{week.restrictions}; invitations: {week.invitations}; column mapping versions: "
            f"{week.column_mappings}; price feed runs: {week.price_feed_runs}; webhook "
            f"deliveries: {week.webhook_deliveries}; model-change previews: "
            f"{week.model_previews}\n"
        )
        if week.api_tokens:
            self.stdout.write("\nDemo API tokens (shown once; the README's examples use them):\n")
            self.print_table(("Email", "Scope", "Token"), week.api_tokens)

    def print_logins(self) -> None:
        rows = [(email, role, firm, DEMO_PASSWORD) for email, role, firm in demo_logins()]
        self.print_table(("Email", "Role", "Firm", "Password"), rows)

    def print_counts(self, report: DemoReport) -> None:
        rows = [(f.name, f.households, f.clients, f.accounts, f.lots) for f in report.firms]
        self.print_table(("Firm", "Households", "Clients", "Accounts", "Lots"), rows)
        self.stdout.write(f"Prices: {report.prices} ({report.prices_created} new, synthetic)\n")
        for firm in report.firms:
            self.stdout.write(f"Created for {firm.name}: {_created(firm.created)}\n")

    def print_table(self, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        cells = [tuple(str(c) for c in row) for row in [header, *rows]]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        self.stdout.write("\n".join(line.rstrip() for line in lines) + "\n\n")


def _created(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {what}" for what, n in counts.items()) or "nothing"
