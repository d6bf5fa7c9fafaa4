"""Benchmark household reports: a warm single report and a batch on real Celery workers;
prints one JSON line.

What is timed and the keys: :mod:`reports.bench.report_run`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench import BenchError
from reports.bench.report_run import run


class Command(BaseCommand):
    help = "Benchmark household reports and a report batch (PostgreSQL, Redis); prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, default=500, help="Reports in the batch.")
        parser.add_argument(
            "--workers", type=int, default=2, help="Pool processes of the one Celery worker."
        )
        parser.add_argument(
            "--renders", type=int, default=15, help="Timed single reports (after one warm-up)."
        )
        parser.add_argument(
            "--broker",
            default="redis://127.0.0.1:6379/11",
            help="Redis for the batch's tasks (its queue is purged first).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["renders"] < 1 or opts["households"] < 1 or opts["workers"] < 1:
            raise CommandError("--renders, --households and --workers must be at least 1.")
        try:
            result = run(
                households=opts["households"],
                workers=opts["workers"],
                renders=opts["renders"],
                broker_url=opts["broker"],
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
