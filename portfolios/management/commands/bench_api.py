"""API list endpoints at 2,000 households, page by page over HTTP; prints one JSON line.

See :mod:`portfolios.bench.api_list` for the firm, the walk and the keys
(``api_list_p95_ms``, ``api_list_queries``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench import BenchError
from portfolios.bench.api_list import Settings, run


class Command(BaseCommand):
    help = "Benchmark the API's list endpoints page by page over HTTP (PostgreSQL); JSON."

    def add_arguments(self, parser: Any) -> None:
        defaults = Settings(database_url="")
        parser.add_argument("--households", type=int, default=defaults.households)
        parser.add_argument(
            "--max-pages", type=int, default=defaults.max_pages, help="Per endpoint."
        )
        parser.add_argument("--workers", type=int, default=defaults.workers)
        parser.add_argument("--threads", type=int, default=defaults.threads)

    def handle(self, *args: Any, **opts: Any) -> None:
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url:
            raise CommandError("bench_api needs PostgreSQL: set DATABASE_URL.")
        cfg = Settings(
            database_url=database_url,
            households=opts["households"],
            max_pages=opts["max_pages"],
            workers=opts["workers"],
            threads=opts["threads"],
        )
        try:
            result = run(cfg)
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
