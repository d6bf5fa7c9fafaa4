"""Compute a firm's drift for a date, in this process (or enqueue it with --enqueue)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from advisory.models import Firm
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.models import DriftSnapshot
from portfolios.tasks import drift_firm
from portfolios.valuation import pricing_date


class Command(BaseCommand):
    help = "Compute drift snapshots for every account and household of a firm."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", required=True, metavar="SLUG")
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="Pricing date (YYYY-MM-DD); default: the latest date with prices.",
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="Send it to the Celery workers instead."
        )

    def handle(self, *args: Any, firm: str, as_of: dt.date | None, enqueue: bool, **opts: Any):
        try:
            firm_obj = Firm.objects.get(slug=firm)
        except Firm.DoesNotExist:
            raise CommandError(f"No firm with slug {firm!r}.") from None
        as_of = as_of or pricing_date(firm_id=firm_obj.pk)
        if as_of is None:
            raise CommandError("No prices at all yet: import prices first.")
        if enqueue:
            drift_firm.delay(firm_obj.pk, as_of.isoformat())
            self.stdout.write(f"Enqueued drift for {firm_obj.slug} as of {as_of}.")
            return
        started = time.perf_counter()
        with acting_as(actor_label="compute_drift command", role="system"):
            run, created = drift_runs.start_run(firm_obj, as_of)
        if not created:
            raise CommandError(f"A drift run for {as_of} is already in progress (run {run.pk}).")
        run = drift_runs.process_inline(run)
        with firm_scope(firm_obj):
            by_status = dict(
                DriftSnapshot.objects.filter(as_of=as_of, kind="household")
                .values_list("status")
                .annotate(n=Count("pk"))
            )
        self.stdout.write(
            f"{firm_obj.slug} as of {as_of}: run {run.pk} {run.state}, {run.accounts} accounts in "
            f"{run.expected_chunks} chunks, {time.perf_counter() - started:.2f} s; "
            f"households by status: {by_status}"
        )
