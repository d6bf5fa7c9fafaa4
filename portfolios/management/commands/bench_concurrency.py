"""Household pages over HTTP, alone and during a 25,000-lot position import; prints JSON.

See :mod:`portfolios.bench.concurrency` for the workload and what is timed. Keys:
``pages_concurrent_p95_ms`` / ``pages_solo_p95_ms`` (median over rounds of each round's
page p95), ``import_s`` (median), ``clients``, ``requests_solo``, ``requests_concurrent``,
``errors`` (pages not answered 200, failed imports), ``chain_ok`` (the firm's audit chain
verified after the runs), then details.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portfolios.bench import BenchError
from portfolios.bench.concurrency import Settings, run


class Command(BaseCommand):
    help = "Benchmark household pages over HTTP during a position import (PostgreSQL); JSON."

    def add_arguments(self, parser: Any) -> None:
        defaults = Settings(database_url="")
        parser.add_argument("--advisors", type=int, default=defaults.advisors)
        parser.add_argument(
            "--households-per-advisor", type=int, default=defaults.households_per_advisor
        )
        parser.add_argument("--lots", type=int, default=defaults.lots, help="Lots in the file.")
        parser.add_argument("--rounds", type=int, default=defaults.rounds)
        parser.add_argument("--seconds", type=float, default=defaults.seconds, help="Solo round.")
        parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds)
        parser.add_argument("--max-requests", type=int, default=defaults.max_requests)
        parser.add_argument(
            "--think-ms", type=int, nargs=2, default=list(defaults.think_ms), metavar=("MIN", "MAX")
        )
        parser.add_argument("--workers", type=int, default=defaults.workers)
        parser.add_argument("--threads", type=int, default=defaults.threads)
        parser.add_argument(
            "--keep-alive",
            action="store_true",
            help="Keep one connection per client (default: one per request, as behind a proxy).",
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--server-log",
            type=Path,
            help="Keep gunicorn's output here, with an access log (server time in µs last).",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        database_url = os.environ.get("DATABASE_URL", "")
        if connection.vendor != "postgresql" or not database_url:
            raise CommandError("bench_concurrency needs PostgreSQL: set DATABASE_URL.")
        cfg = Settings(
            database_url=database_url,
            advisors=opts["advisors"],
            households_per_advisor=opts["households_per_advisor"],
            lots=opts["lots"],
            rounds=opts["rounds"],
            seconds=opts["seconds"],
            max_seconds=opts["max_seconds"],
            max_requests=opts["max_requests"],
            think_ms=tuple(opts["think_ms"]),
            workers=opts["workers"],
            threads=opts["threads"],
            keep_alive=opts["keep_alive"],
            seed=opts["seed"],
            server_log=opts["server_log"],
        )
        try:
            result = run(cfg)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
