"""Where the nightly price feed gets its prices: one small interface, a drop directory by default.

A :class:`FeedSource` yields :class:`FeedBatch` es (one per file, or per vendor
call), each a :class:`~portfolios.pricing.sources.PriceSource` the shared
importer validates row by row. ``finished`` is told what became of each batch
(the drop directory moves the file away, so it is never read twice).

A vendor's API is one class: subclass ``FeedSource``, yield batches, and name
the class in ``BALLAST_PRICE_FEED`` (``"myvendor.feed.VendorFeed"``). It is
built with no arguments and reads its own settings.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from portfolios.imports.csv_rows import ALLOWED_SUFFIXES, MAX_FILE_BYTES
from portfolios.pricing.sources import GENERIC, CsvPriceSource, PriceSource

log = logging.getLogger("ballast.prices")

MAX_FILES_PER_RUN = 100  # a flooded directory is worked through over several nights


@dataclass
class FeedBatch:
    """One unit of prices: a file or an API response, with its content digest."""

    label: str
    sha256: str = ""  # "" when the source has no bytes to hash (then no duplicate check)
    prices: PriceSource | None = None  # None: the batch could not be read (see ``error``)
    error: str = ""
    path: Path | None = None  # the drop directory's file


class FeedSource(ABC):
    """Base of every feed source. ``name`` is shown on the feed's runs."""

    name: str = "feed"

    @abstractmethod
    def batches(self) -> Iterator[FeedBatch]:
        """The batches waiting to be loaded (bounded: never more than a night's work)."""

    def finished(self, batch: FeedBatch, *, outcome: str) -> None:  # noqa: B027 (optional hook)
        """Called once per batch with "loaded", "duplicate" or "rejected"."""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class DropDirectorySource(FeedSource):
    """CSV files (``symbol,date,close``, ISO dates) dropped in ``BALLAST_PRICE_DROP_DIR``.

    Only regular ``.csv`` / ``.txt`` files directly in the directory are read,
    oldest name first (write ``x.csv.part`` and rename it when complete: a file
    is never read half-written). Hidden files, symbolic links and folders are
    left alone. Each file read is moved to ``processed/`` (or ``rejected/``
    when it could not be read at all) with the time in front of its name.
    """

    name = "drop_directory"

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory or settings.BALLAST_PRICE_DROP_DIR)
        self.source_name = settings.BALLAST_PRICE_DROP_SOURCE

    def batches(self) -> Iterator[FeedBatch]:
        # Made on first use, so operators see where to drop files (a failure fails the run).
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in self._waiting()[:MAX_FILES_PER_RUN]:
            yield self._batch(path)

    def _waiting(self) -> list[Path]:
        with os.scandir(self.directory) as entries:
            return sorted(
                Path(e.path)
                for e in entries
                if e.is_file(follow_symlinks=False)
                and not e.name.startswith(".")
                and e.name.lower().endswith(ALLOWED_SUFFIXES)
            )

    def _batch(self, path: Path) -> FeedBatch:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                limit = MAX_FILE_BYTES // (1024 * 1024)
                return FeedBatch(path.name, error=f"larger than the {limit} MB limit", path=path)
            with path.open("rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            return FeedBatch(path.name, error=f"cannot read: {exc.strerror}", path=path)
        if len(data) > MAX_FILE_BYTES:  # grew while we looked
            return FeedBatch(path.name, error="larger than the size limit", path=path)
        prices = CsvPriceSource(io.BytesIO(data), name=self.source_name, mapping=GENERIC)
        return FeedBatch(path.name, sha256=digest(data), prices=prices, path=path)

    def finished(self, batch: FeedBatch, *, outcome: str) -> None:
        if batch.path is None:
            return
        folder = self.directory / ("rejected" if outcome == "rejected" else "processed")
        folder.mkdir(exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        try:
            batch.path.rename(folder / f"{stamp}-{batch.path.name}")
        except OSError:  # another run moved it first: nothing left to do
            log.warning("price feed: could not move %s", batch.path)
