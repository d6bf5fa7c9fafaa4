"""Benchmark rebalance proposals; prints one JSON line.

The parts and their keys are described in :mod:`portfolios.bench.rebalance_run`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench import BenchError
from portfolios.bench.rebalance_run import run


class Command(BaseCommand):
    help = "Benchmark proposals: engine, batch, advisor home and realloc peer; prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--runs", type=int, default=50)
        parser.add_argument("--batch", type=int, default=1_000)
        parser.add_argument("--peer-accounts", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument(
            "--engine-only",
            action="store_true",
            help="Skip the database timings (batch end to end, advisor home).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = run(
                seed=opts["seed"],
                runs=opts["runs"],
                batch_size=opts["batch"],
                peer_accounts=opts["peer_accounts"],
                workers=opts["workers"],
                engine_only=opts["engine_only"],
            )
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
