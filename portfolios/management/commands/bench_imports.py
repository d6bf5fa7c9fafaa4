"""Benchmark position-file validation on hostile files; prints one JSON line.

The files and keys are described in :mod:`portfolios.bench.imports`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench import BenchError
from portfolios.bench.imports import run, validate_file


class Command(BaseCommand):
    help = "Time and measure the import validation of two hostile 20 MB files; prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firm", type=int, default=None, help="Firm id (default: the first).")
        parser.add_argument("--child", type=Path, default=None, help="Internal: validate one file.")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["child"] is not None:
                result = validate_file(opts["firm"] or 0, str(opts["child"]))
            else:
                result = run(opts["firm"])
        except BenchError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(result))
