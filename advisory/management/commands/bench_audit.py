"""Benchmark the compliance workspace and the audit chain on a firm of a million audit events;
prints one JSON line.

What is timed and the keys: :mod:`advisory.bench.audit_run`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.bench.audit_run import run
from portfolios.bench import BenchError


class Command(BaseCommand):
    help = "Benchmark audit search, who-saw-what and chain verification (PostgreSQL); prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--events", type=int, default=1_000_000, help="Audit events in the bench firm."
        )
        parser.add_argument(
            "--rounds",
            type=int,
            default=15,
            help="Timed rounds of the pages (interleaved, after one warm-up); medians reported.",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["rounds"] < 1:
            raise CommandError("--rounds must be at least 1.")
        try:
            result = run(events=opts["events"], rounds=opts["rounds"])
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
