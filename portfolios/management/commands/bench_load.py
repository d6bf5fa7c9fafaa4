"""The load test (issue 15): locust against gunicorn during a drift batch; prints JSON.

See :mod:`portfolios.bench.load.runner` for the workload. Keys: ``load_users``,
``load_rps``, ``load_p95_ms`` (the largest level), ``load_5xx`` (all levels), ``levels`` (one
dict per level: users, requests, rps, p50/p95/max ms, 5xx, failures, p95 by page), the drift
batch's state and duration, then details. ``--write-docs`` adds a row per level to
docs/benchmarks.md ("Load test (issue 15)").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from portfolios.bench import BenchError
from portfolios.bench.load.docs import append_figures
from portfolios.bench.load.runner import Settings, run


class Command(BaseCommand):
    help = "Load test: locust users against gunicorn during a drift batch (PostgreSQL); JSON."

    def add_arguments(self, parser: Any) -> None:
        d = Settings(database_url="", broker_url="")
        parser.add_argument("--levels", type=int, nargs="+", default=list(d.levels))
        parser.add_argument(
            "--seconds", type=float, default=d.seconds, help="Each level's timed window."
        )
        parser.add_argument(
            "--think-s",
            type=float,
            nargs=2,
            default=list(d.think_s),
            metavar=("LOW", "HIGH"),
            help="Seconds a person reads a page before the next click (uniform).",
        )
        parser.add_argument(
            "--worker-nice",
            type=int,
            default=d.worker_nice,
            help="The Celery worker's nice value (0: the web's priority).",
        )
        parser.add_argument("--spawn-rate", type=float, default=d.spawn_rate)
        parser.add_argument("--accounts", type=int, default=d.accounts, help="Drift batch firm.")
        parser.add_argument("--advisors", type=int, default=d.advisors)
        parser.add_argument("--households-per-advisor", type=int, default=d.households_per_advisor)
        parser.add_argument("--clients", type=int, default=d.clients)
        parser.add_argument("--worker-processes", type=int, default=d.worker_processes)
        parser.add_argument(
            "--web-workers", type=int, default=0, help="gunicorn processes (0: its config's)."
        )
        parser.add_argument("--drift-timeout", type=float, default=d.drift_timeout_s)
        parser.add_argument(
            "--broker",
            default=os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/12",
            help="Redis URL for the drift batch (default: CELERY_BROKER_URL, else db 12).",
        )
        parser.add_argument(
            "--one-each",
            action="store_true",
            help="Exactly one portal client and one compliance user; advisors for the rest.",
        )
        parser.add_argument("--workdir", type=Path, help="Keep server, worker, locust output.")
        parser.add_argument("--write-docs", action="store_true", help="Add to benchmarks.md.")

    def handle(self, *args: Any, **opts: Any) -> None:
        database_url = os.environ.get("DATABASE_URL", "")
        if connection.vendor != "postgresql" or not database_url:
            raise CommandError("bench_load needs PostgreSQL: set DATABASE_URL.")
        cfg = Settings(
            database_url=database_url,
            broker_url=opts["broker"],
            levels=tuple(opts["levels"]),
            seconds=opts["seconds"],
            think_s=(opts["think_s"][0], opts["think_s"][1]),
            worker_nice=opts["worker_nice"],
            spawn_rate=opts["spawn_rate"],
            accounts=opts["accounts"],
            advisors=opts["advisors"],
            households_per_advisor=opts["households_per_advisor"],
            clients=opts["clients"],
            worker_processes=opts["worker_processes"],
            web_workers=opts["web_workers"],
            one_each=opts["one_each"],
            drift_timeout_s=opts["drift_timeout"],
            workdir=opts["workdir"],
        )
        try:
            result = run(cfg)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        if opts["write_docs"]:
            append_figures(Path(settings.BASE_DIR) / "docs" / "benchmarks.md", result)
        self.stdout.write(json.dumps(result))
