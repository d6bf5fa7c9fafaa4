"""Run the nightly price feed by hand: load what the configured source has waiting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portfolios.models import PriceFeedState
from portfolios.pricing.feed import configured_source, run_feed
from portfolios.pricing.feed_sources import DropDirectorySource


class Command(BaseCommand):
    help = (
        "Load prices from the configured feed (BALLAST_PRICE_FEED; by default the CSV files in "
        "BALLAST_PRICE_DROP_DIR) exactly as the nightly task does, and record the run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dir", help="Read this drop directory instead of the configured source."
        )
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            help="Judge missing and stale prices as of this date (YYYY-MM-DD; default today).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = DropDirectorySource(options["dir"]) if options["dir"] else configured_source()
        if source is None:
            raise CommandError("The price feed is off (BALLAST_PRICE_FEED is empty).")
        run = run_feed(source, as_of=options["as_of"])
        self.stdout.write(
            f"Price feed run #{run.pk} ({run.source}): {run.get_state_display()}; "
            f"{len(run.files)} file(s), {run.rows_loaded} prices loaded, "
            f"{run.rows_rejected} rows rejected."
        )
        for entry in run.files:
            self.stdout.write(f"  {entry['name']}: {entry.get('outcome', '?')}")
        for error in run.errors:
            self.stderr.write(error)
        if run.missing:
            self.stdout.write(f"Held but never priced: {', '.join(run.missing)}")
        if run.stale:
            self.stdout.write(f"Held with a stale price: {', '.join(run.stale)}")
        if run.state == PriceFeedState.FAILED or run.rows_rejected:
            raise CommandError(f"{len(run.errors)} problem(s); see above.")
