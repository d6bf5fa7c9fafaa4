"""Check an export folder against its MANIFEST and its audit segment as a chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.records.verify import verify_export


class Command(BaseCommand):
    help = "Re-hash every file of an export against its MANIFEST and re-verify its audit chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", metavar="DIR")

    def handle(self, *args: Any, folder: str, **options: Any) -> None:
        problems = verify_export(Path(folder))
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) in {folder}.")
        self.stdout.write(f"OK: {folder} matches its MANIFEST and its audit chain verifies.")
