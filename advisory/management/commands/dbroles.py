"""Create or update the owner and application database roles (PostgreSQL), idempotently.

Run it as a superuser (``DATABASE_URL=postgres://postgres@…/ballast``) after ``migrate``:
it creates both roles if missing, resets their attributes, hands the database and its tables
to the owner, turns on row-level security where missing, grants the application role its
privileges, and prints the application role's ``DATABASE_URL`` as its last line.
"""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from advisory.db_security import roles, row_security


class Command(BaseCommand):
    help = "Create or update the owner and application database roles; print the app's URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--app-password",
            default=os.environ.get("BALLAST_APP_DB_PASSWORD") or None,
            help="Set the application role's password (default: $BALLAST_APP_DB_PASSWORD; "
            "a new role without one gets a random password, an existing one keeps its own).",
        )
        parser.add_argument(
            "--no-transfer",
            action="store_true",
            help="Leave the ownership of the database and its tables as it is.",
        )

    def handle(self, *args: object, **options: object) -> None:
        connection = connections[str(options["database"])]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"dbroles needs PostgreSQL; {connection.vendor} has no roles "
                "(the embedded demo keeps the ORM's firm scope as its only wall)."
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                raise CommandError("dbroles must run as a superuser (it sets BYPASSRLS).")
        wanted = roles.configured_roles()
        password = options["app_password"]
        with transaction.atomic(using=connection.alias):
            made = roles.ensure_roles(connection, wanted, password)  # type: ignore[arg-type]
            if not options["no_transfer"]:
                moved = roles.transfer_ownership(connection, wanted.owner)
                self.stdout.write(f"owner {wanted.owner}: now owns {len(moved)} more object(s)")
            for line in row_security.install(connection):
                self.stdout.write(f"row-level security: {line}")
            count = roles.grant_app_privileges(connection, wanted.app)
        self.stdout.write(f"application role {wanted.app}: privileges set on {count} table(s)")
        shown = made or password
        if not shown:
            self.stderr.write(
                f"{wanted.app} kept its existing password; put it in the URL below "
                "(or pass --app-password to set a new one)."
            )
        self.stdout.write(roles.app_database_url(connection, wanted.app, shown))  # type: ignore[arg-type]
