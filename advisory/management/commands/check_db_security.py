"""Exit non-zero, naming each problem, unless the connection runs as a proper application role:
not a superuser, owning no table, unable to bypass row-level security, every firm-owned table
under forced row-level security, the append-only tables closed to UPDATE/DELETE/TRUNCATE."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from advisory.db_security.checks import problems


class Command(BaseCommand):
    help = "Check that the database connection runs as the least-privileged application role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: object, **options: object) -> None:
        connection = connections[str(options["database"])]
        found = problems(connection)
        for line in found:
            self.stderr.write(f"problem: {line}")
        if found:
            raise CommandError(f"{len(found)} database security problem(s)")
        self.stdout.write("database security: OK")
