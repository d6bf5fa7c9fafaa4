"""Where prices come from: one small interface, one class per source.

A source has a ``name`` (stored on every Price it yields, so prices from
different places never overwrite each other), a ``date_format`` for its date
cells, and ``rows()``: raw text rows with their row numbers, keyed ``symbol``,
``date`` and ``close``. Validation is the importer's job, the same for all.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from portfolios.imports.csv_rows import FileInput, RawRow, read_rows
from portfolios.sample_data import PRICES_CSV, SAMPLE_SOURCE

MANUAL_SOURCE = "manual"
RESERVED_NAMES = frozenset({MANUAL_SOURCE, SAMPLE_SOURCE})
_SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")


@dataclass(frozen=True)
class ColumnMapping:
    """The header names a file uses for each field, and how it writes dates."""

    symbol: str = "symbol"
    date: str = "date"
    close: str = "close"
    date_format: str = "%Y-%m-%d"

    def headers(self) -> dict[str, str]:
        return {"symbol": self.symbol, "date": self.date, "close": self.close}


PRESETS: dict[str, ColumnMapping] = {
    # symbol,date,close with ISO dates: the bundled sample file's format.
    "generic": ColumnMapping(),
    # A custodian-style export: capitalised headers and US dates.
    "custodian": ColumnMapping(
        symbol="Symbol", date="Price Date", close="Closing Price", date_format="%m/%d/%Y"
    ),
    # A market-data vendor's end-of-day file.
    "vendor": ColumnMapping(symbol="Ticker", date="Date", close="Close"),
}
GENERIC = PRESETS["generic"]


def validate_source_name(name: str) -> str:
    """Lower-case letters, digits, ``_ . -``; at most 40 characters (Price.source)."""
    if not _SOURCE_NAME.fullmatch(name):
        raise ValueError(
            f"invalid source name {name!r}: use 1-40 lower-case letters, digits, '_', '.' or '-'"
        )
    return name


class PriceSource(ABC):
    """Base of every price source. Subclasses set ``name`` and implement ``rows()``."""

    name: str
    date_format: str = "%Y-%m-%d"

    @abstractmethod
    def rows(self) -> Iterator[RawRow]:
        """Raw rows keyed symbol/date/close; raises FileError for file-level problems."""

    def column(self, field: str) -> str:
        """The column name to show in messages for a canonical field."""
        return field


class CsvPriceSource(PriceSource):
    """A vendor's or custodian's CSV file, read through a :class:`ColumnMapping`."""

    def __init__(
        self, file: FileInput, *, name: str = "csv", mapping: ColumnMapping = GENERIC
    ) -> None:
        if validate_source_name(name) in RESERVED_NAMES:
            raise ValueError(f"source name {name!r} is reserved for its own source")
        self.file = file
        self.name = name
        self.mapping = mapping
        self.date_format = mapping.date_format

    def rows(self) -> Iterator[RawRow]:
        return read_rows(self.file, self.mapping.headers())

    def column(self, field: str) -> str:
        return self.mapping.headers().get(field, field)


class SamplePriceSource(PriceSource):
    """The bundled synthetic sample prices (``portfolios/data/sample``)."""

    name = SAMPLE_SOURCE

    def rows(self) -> Iterator[RawRow]:
        return read_rows(PRICES_CSV, GENERIC.headers())


class ManualPriceSource(PriceSource):
    """Closes typed in by an admin; see :func:`portfolios.pricing.enter_price`."""

    name = MANUAL_SOURCE

    def __init__(self, entries: list[tuple[str, dt.date | str, Decimal | str]]) -> None:
        self.entries = entries

    def rows(self) -> Iterator[RawRow]:
        for number, (symbol, day, close) in enumerate(self.entries, start=1):
            if isinstance(close, float):
                raise TypeError("prices must be Decimals or strings, never floats")
            text_day = day.strftime(self.date_format) if isinstance(day, dt.date) else day
            yield RawRow(number, {"symbol": symbol, "date": text_day, "close": str(close)})
