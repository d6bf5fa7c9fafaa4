"""The nightly price feed: load what the configured source has, record the run, list the gaps.

``portfolios.tasks.nightly`` calls :func:`run_configured_feed` before it starts
any firm's pricing check and drift run, so drift sees the night's closes; the
``load_prices`` command runs it by hand.

Prices are per row and independent (a close for VOO is no less right because
the file's BND row is malformed), so a feed file is imported **partially**:
the good rows are loaded, each bad row is rejected and reported on the run.
This differs on purpose from position files, where one bad row holds the
whole account back (a half picture of an account would delete real lots).
A file that cannot be read at all (too large, not UTF-8 CSV, no header) is
rejected whole. Each file is read once: moved out of the drop directory and
its SHA-256 recorded, so the same bytes dropped again are not loaded twice.

Every run is a :class:`~portfolios.models.PriceFeedRun` (platform-wide, like
prices): files, rows loaded and rejected, the first errors, and the
securities held by any firm that still have no shared price or only a stale
one, which the drift runs page and the advisor home show to each firm for
its own holdings (:mod:`portfolios.pricing.feed_status`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from advisory.models import Firm
from advisory.tenancy import firm_scope
from portfolios.imports.csv_rows import ImportResult
from portfolios.models import PriceFeedRun, PriceFeedState, Security, TaxLot
from portfolios.pricing.feed_sources import DropDirectorySource, FeedBatch, FeedSource
from portfolios.pricing.importer import run_import
from portfolios.valuation import latest_prices

log = logging.getLogger("ballast.prices")

MAX_ERRORS = 200  # PriceFeedRun.errors
MAX_LISTED = 500  # symbols kept in each of PriceFeedRun.missing / .stale
DIGESTS_REMEMBERED = 1000  # runs whose file digests count as "already loaded"
DROP_DIRECTORY = "drop_directory"


def configured_source() -> FeedSource | None:
    """The source ``BALLAST_PRICE_FEED`` names; None when the feed is off ("")."""
    name = settings.BALLAST_PRICE_FEED
    if not name:
        return None
    if name == DROP_DIRECTORY:
        return DropDirectorySource()
    try:
        source = import_string(name)()
    except ImportError as exc:
        raise ImproperlyConfigured(f"BALLAST_PRICE_FEED={name!r} cannot be imported") from exc
    if not isinstance(source, FeedSource):
        raise ImproperlyConfigured(f"BALLAST_PRICE_FEED={name!r} is not a FeedSource")
    return source


def run_configured_feed(as_of: dt.date | None = None) -> PriceFeedRun | None:
    """Run the configured feed (the nightly task and ``load_prices``); None when it is off."""
    source = configured_source()
    return run_feed(source, as_of=as_of) if source is not None else None


def run_feed(source: FeedSource, *, as_of: dt.date | None = None) -> PriceFeedRun:
    """Load every waiting batch of ``source``, then record what is still missing or stale.

    A failing source (a missing directory, a vendor's outage) is recorded as a
    failed run, not raised: drift still runs, and says its prices are stale.
    """
    as_of = as_of or timezone.localdate()
    run = PriceFeedRun.objects.create(source=source.name[:80], state=PriceFeedState.RUNNING)
    tally = _Tally(seen=loaded_digests())
    failed = False
    try:
        for batch in source.batches():
            outcome = tally.load(batch)
            source.finished(batch, outcome=outcome)
    except Exception as exc:
        log.exception("price feed %s failed", source.name)
        tally.error(f"source failed: {type(exc).__name__}: {exc}")
        failed = True
    run.missing, run.stale = coverage_gaps(as_of)
    run.files, run.errors = tally.files, tally.errors[:MAX_ERRORS]
    run.rows_loaded, run.rows_rejected = tally.loaded, tally.rejected
    run.price_date = tally.latest
    run.state = _state(failed, tally)
    run.finished_at = timezone.now()
    run.save()
    log.info(
        "price feed %s: %s, %s rows loaded, %s rejected, %s missing, %s stale",
        source.name, run.state, run.rows_loaded, run.rows_rejected, len(run.missing),
        len(run.stale),
    )  # fmt: skip
    return run


def _state(failed: bool, tally: _Tally) -> str:
    if failed:
        return PriceFeedState.FAILED
    if tally.errors:
        return PriceFeedState.PARTIAL
    if not tally.loaded:
        return PriceFeedState.NOTHING
    return PriceFeedState.LOADED


class _Tally:
    """What a run loaded, file by file."""

    def __init__(self, seen: set[str]) -> None:
        self.seen = seen
        self.files: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self.loaded = 0
        self.rejected = 0
        self.latest: dt.date | None = None

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)

    def load(self, batch: FeedBatch) -> str:
        entry: dict[str, Any] = {"name": batch.label, "sha256": batch.sha256}
        self.files.append(entry)
        if batch.prices is None:
            entry["outcome"] = "rejected"
            self.error(f"{batch.label}: {batch.error or 'could not be read'}")
            return "rejected"
        if batch.sha256 and batch.sha256 in self.seen:
            entry["outcome"] = "duplicate"  # the same bytes were loaded by an earlier run
            return "duplicate"
        result, prices = run_import(batch.prices, partial=True)
        rejected = result.rows_read - result.written - result.skipped_existing
        entry |= {"rows": result.rows_read, "loaded": result.written,
                  "already_stored": result.skipped_existing, "rejected": rejected}  # fmt: skip
        self.loaded += result.written
        self.rejected += rejected
        for error in result.errors:
            self.error(f"{batch.label} {error}")
        if result.errors_omitted:
            self.error(f"{batch.label}: … and {result.errors_omitted} more errors")
        if result.written:
            newest = max(p.date for p in prices)
            self.latest = max(self.latest, newest) if self.latest else newest
        if batch.sha256:
            self.seen.add(batch.sha256)
        entry["outcome"] = _file_outcome(result)
        return "rejected" if entry["outcome"] == "rejected" else "loaded"


def _file_outcome(result: ImportResult) -> str:
    if result.ok:
        return "loaded"
    whole_file = any(e.row is None for e in result.errors)
    return "rejected" if whole_file and not result.written else "partial"


def loaded_digests() -> set[str]:
    """SHA-256 of every file the last runs read (a file dropped again is not reloaded)."""
    digests: set[str] = set()
    for files in PriceFeedRun.objects.values_list("files", flat=True)[:DIGESTS_REMEMBERED]:
        for entry in files or []:
            if entry.get("sha256") and entry.get("outcome") in ("loaded", "partial"):
                digests.add(entry["sha256"])
    return digests


def held_security_ids() -> set[int]:
    """Securities any firm holds (each firm read in its own scope: row-level security)."""
    held: set[int] = set()
    for firm_id in Firm.objects.values_list("pk", flat=True):
        with firm_scope(firm_id):
            lots = TaxLot.objects.filter(quantity__gt=0)
            held.update(lots.values_list("security_id", flat=True).distinct())
    return held


def coverage_gaps(as_of: dt.date) -> tuple[list[str], list[str]]:
    """Symbols held by some firm with no shared price on or before ``as_of``, and those whose
    latest shared price is older than ``BALLAST_PRICE_STALE_DAYS`` (firms' manual prices
    do not count here; each firm's banner accounts for its own)."""
    held = held_security_ids()
    prices = latest_prices(held, as_of, None)
    fresh_after = as_of - dt.timedelta(days=settings.BALLAST_PRICE_STALE_DAYS)
    symbols = dict(Security.objects.filter(pk__in=held).values_list("pk", "symbol"))
    missing = sorted(symbols[s] for s in held if s not in prices)
    stale = sorted(symbols[s] for s, p in prices.items() if p.date < fresh_after)
    return missing[:MAX_LISTED], stale[:MAX_LISTED]
