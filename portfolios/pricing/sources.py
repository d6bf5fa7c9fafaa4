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

# Manual prices belong to one firm: their source is "manual:<firm slug>". Every
# source name starting with "manual" is reserved for them (a file cannot pose as
# a firm's entry), and valuation counts such a price only for its own firm.
MANUAL_PREFIX = "manual"
RESERVED_NAMES = frozenset({SAMPLE_SOURCE})
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


def manual_source(slug: str) -> str:
    """The source name of one firm's manual prices: ``manual:<firm slug>``."""
    return f"{MANUAL_PREFIX}:{slug}"


def is_reserved(name: str) -> bool:
    return name in RESERVED_NAMES or name.startswith(MANUAL_PREFIX)


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
        if is_reserved(validate_source_name(name)):
            raise ValueError(
                f"source name {name!r} is reserved: 'sample' is the bundled file and names "
                f"starting with {MANUAL_PREFIX!r} are firms' manual prices"
            )
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
    """Closes typed in by a firm's admin; see :func:`portfolios.pricing.enter_price`.

    Named ``manual:<firm slug>``: the prices count for that firm only.
    """

    def __init__(
        self, firm_slug: str, entries: list[tuple[str, dt.date | str, Decimal | str]]
    ) -> None:
        self.name = manual_source(firm_slug)
        self.entries = entries

    def rows(self) -> Iterator[RawRow]:
        for number, (symbol, day, close) in enumerate(self.entries, start=1):
            if isinstance(close, float):
                raise TypeError("prices must be Decimals or strings, never floats")
            text_day = day.strftime(self.date_format) if isinstance(day, dt.date) else day
            yield RawRow(number, {"symbol": symbol, "date": text_day, "close": str(close)})
