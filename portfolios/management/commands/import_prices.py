"""Import closing prices from a CSV file (or the bundled sample) in one transaction."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.pricing import PRESETS, CsvPriceSource, SamplePriceSource, import_prices
from portfolios.pricing.sources import PriceSource


class Command(BaseCommand):
    help = (
        "Import prices (symbol, date, close) from a CSV file. Every row is checked first; "
        "one bad row means nothing is written unless --partial is given."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="The CSV file (.csv or .txt, at most 20 MB).")
        parser.add_argument(
            "--source", default="csv", help="Source name stored on every price (default: csv)."
        )
        parser.add_argument(
            "--mapping", default="generic", choices=sorted(PRESETS), help="Column preset."
        )
        parser.add_argument(
            "--sample", action="store_true", help="Import the bundled sample prices instead."
        )
        parser.add_argument(
            "--partial", action="store_true", help="Write the good rows even if some are bad."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_prices(self._source(options), partial=options["partial"])
        self.stdout.write(result.summary())
        for error in result.errors:
            self.stderr.write(str(error))
        if not result.ok:
            written = f"{result.written} written" if options["partial"] else "nothing written"
            raise CommandError(f"{result.error_count} error(s); {written}.")

    def _source(self, options: dict[str, Any]) -> PriceSource:
        if options["sample"] == bool(options["file"]):
            raise CommandError("Give either a FILE or --sample.")
        if options["sample"]:
            return SamplePriceSource()
        try:
            return CsvPriceSource(
                options["file"], name=options["source"], mapping=PRESETS[options["mapping"]]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
