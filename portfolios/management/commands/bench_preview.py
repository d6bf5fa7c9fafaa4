"""Benchmark a firm-wide model-change preview (PostgreSQL only); prints JSON.

What is timed and the keys: :mod:`portfolios.bench.preview_run`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench import BenchError
from portfolios.bench.preview_run import run


class Command(BaseCommand):
    help = "Benchmark a model-change preview over the drift benchmark's firm; prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--accounts", type=int, default=100_000)
        parser.add_argument("--positions-per-account", type=int, default=25)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--chunk-households", type=int, default=2_500)
        parser.add_argument("--repeat", type=int, default=3, help="Rounds; medians reported.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = run(
                accounts=opts["accounts"],
                per_account=opts["positions_per_account"],
                workers=opts["workers"],
                chunk=opts["chunk_households"],
                repeat=opts["repeat"],
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
