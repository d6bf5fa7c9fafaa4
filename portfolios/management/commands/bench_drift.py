"""Benchmark the drift batch against PostgreSQL's raw COPY of the same rows; prints JSON.

What is timed and the keys: :mod:`portfolios.bench.drift_run`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench import BenchError
from portfolios.bench.drift_run import run


class Command(BaseCommand):
    help = "Benchmark the drift batch on a synthetic firm (PostgreSQL only); prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--accounts", type=int, default=100_000)
        parser.add_argument("--positions-per-account", type=int, default=25)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--chunk-households", type=int, default=5_000)
        parser.add_argument("--naive-share", type=float, default=0.01)
        parser.add_argument(
            "--repeat",
            type=int,
            default=3,
            help="Timed rounds (COPY then batch, interleaved); medians are reported.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = run(
                accounts=opts["accounts"],
                positions_per_account=opts["positions_per_account"],
                workers=opts["workers"],
                chunk_households=opts["chunk_households"],
                naive_share=opts["naive_share"],
                repeat=opts["repeat"],
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
