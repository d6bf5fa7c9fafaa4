"""Import a custodian position file for one firm, replacing the lots of the accounts in it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from advisory.models import Firm
from advisory.request_context import acting_as
from portfolios.imports import POSITION_PRESETS, import_positions


class Command(BaseCommand):
    help = (
        "Import positions (account_number, symbol, quantity, cost_basis, acquired_date"
        "[, custodian]) for one firm. Each account in the file gets exactly the file's lots."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The CSV file (.csv or .txt, at most 20 MB).")
        parser.add_argument("--firm", required=True, metavar="SLUG", help="The importing firm.")
        parser.add_argument(
            "--mapping", default="generic", choices=sorted(POSITION_PRESETS), help="Column preset."
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="Replace the accounts whose rows are all good even if other rows are bad.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(slug=options["firm"]).first()
        if firm is None:
            raise CommandError(f"No firm with slug {options['firm']!r}.")
        with acting_as(actor_label="import_positions command", role="system"):
            result = import_positions(
                firm,
                options["file"],
                partial=options["partial"],
                mapping=POSITION_PRESETS[options["mapping"]],
            )
        self.stdout.write(result.summary())
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.ok:
            written = f"{result.written} lots written" if options["partial"] else "nothing written"
            raise CommandError(f"{result.error_count} error(s); {written}.")
