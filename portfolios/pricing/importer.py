"""Importing prices from any :class:`~portfolios.pricing.sources.PriceSource`.

Every row is validated before anything is written; the writes happen in one
transaction. Without ``partial`` a single bad row means nothing is written;
with it, the good rows are written and the bad ones reported.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction

from advisory.money import PRICE
from portfolios.imports.csv_rows import (
    CellError,
    FileError,
    FirstSeen,
    ImportResult,
    RawRow,
    RowError,
    parse_date,
    parse_decimal,
    parse_text,
    shown,
)
from portfolios.models import Price, Security
from portfolios.pricing.sources import PriceSource

BATCH_SIZE = 1000


@dataclass(frozen=True)
class _Parsed:
    row: int
    symbol: str
    date: dt.date
    close: Decimal


def import_prices(source: PriceSource, *, partial: bool = False) -> ImportResult:
    """Validate every row of ``source``, then write its new prices in one transaction."""
    result, _ = run_import(source, partial=partial)
    return result


def run_import(
    source: PriceSource, *, partial: bool = False, replace: bool = False
) -> tuple[ImportResult, list[Price]]:
    """:func:`import_prices`, also returning the rows that passed the row checks as Prices."""
    result = ImportResult()
    try:
        parsed = _parsed_rows(source, result)
    except FileError as exc:
        result.errors.append(exc.error)
        return result, []
    candidates = _resolve_symbols(source, parsed, result.errors)
    try:
        with transaction.atomic():
            new = _not_yet_stored(source, candidates, result, replace=replace)
            if result.ok or partial:
                Price.objects.bulk_create(new, batch_size=BATCH_SIZE)
                result.written = len(new)
    except IntegrityError:
        result.written = 0
        result.errors.append(
            RowError(None, None, "prices were stored by someone else meanwhile; run it again")
        )
    result.errors.sort(key=lambda e: e.row or 0)
    return result, [price for _, price in candidates]


def _parse(source: PriceSource, raw: RawRow, errors: list[RowError]) -> _Parsed | None:
    if raw.problem:
        errors.append(RowError(raw.row, None, raw.problem))
        return None
    values, failed = {}, False
    for field, parse in _CELLS.items():
        try:
            values[field] = parse(source, raw.cells[field])
        except CellError as exc:
            errors.append(RowError(raw.row, source.column(field), str(exc)))
            failed = True
    return None if failed else _Parsed(raw.row, **values)


def _parse_close(source: PriceSource, text: str) -> Decimal:
    close = parse_decimal(
        text, places=PRICE["decimal_places"], digits=PRICE["max_digits"], what="price"
    )
    if close <= 0:
        raise CellError(f"price must be positive (got {close})")
    return close


_CELLS = {
    "symbol": lambda source, text: parse_text(text, "symbol"),
    "date": lambda source, text: parse_date(text, source.date_format, what="date"),
    "close": _parse_close,
}


def _parsed_rows(source: PriceSource, result: ImportResult) -> list[_Parsed]:
    """The good rows, streamed in one pass (no list of raw rows: a file's bad or repeated
    rows cost a capped error each, not memory)."""
    parsed: list[_Parsed] = []
    seen = FirstSeen()
    for raw in source.rows():
        result.rows_read += 1
        p = _parse(source, raw, result.errors)
        if p is not None and not _is_repeat(source, p, seen, result.errors):
            parsed.append(p)
    # Rows whose symbol and date occur more than once are all bad: which one is right?
    return [p for p in parsed if p.row not in seen.repeated] if seen.repeated else parsed


def _is_repeat(source: PriceSource, p: _Parsed, seen: FirstSeen, errors: list[RowError]) -> bool:
    """A repeat names the first row it copies; the first row names its first repeat."""
    first = seen.first_row((p.symbol, p.date), p.row)
    if first is None:
        return False
    what = f"duplicate: {p.symbol} on {p.date.isoformat()} is also on row"
    if seen.repeated[first] == 1:
        errors.append(RowError(first, source.column("date"), f"{what} {p.row}"))
    errors.append(RowError(p.row, source.column("date"), f"{what} {first}"))
    return True


def _resolve_symbols(
    source: PriceSource, parsed: list[_Parsed], errors: list[RowError]
) -> list[tuple[int, Price]]:
    known = Security.objects.in_bulk({p.symbol for p in parsed}, field_name="symbol")
    candidates = []
    for p in parsed:
        security = known.get(p.symbol)
        if security is None:
            errors.append(
                RowError(p.row, source.column("symbol"), f"unknown symbol {shown(p.symbol)}")
            )
            continue
        price = Price(security=security, date=p.date, close=p.close, source=source.name)
        candidates.append((p.row, price))
    return candidates


def _not_yet_stored(
    source: PriceSource,
    candidates: list[tuple[int, Price]],
    result: ImportResult,
    *,
    replace: bool = False,
) -> list[Price]:
    """New prices; the same close already stored is skipped, a different one is an error
    (or, with ``replace``, a correction: the stored row is removed and the new one written,
    and ``result.replaced`` keeps the old closes)."""
    if not candidates:
        return []
    days = [c.date for _, c in candidates]
    stored = {
        (security_id, day): close
        for security_id, day, close in Price.objects.filter(
            source=source.name,
            security__in={c.security_id for _, c in candidates},
            date__range=(min(days), max(days)),
        ).values_list("security_id", "date", "close")
    }
    new = []
    for row, c in candidates:
        close = stored.get((c.security_id, c.date))
        if close is None:
            new.append(c)
        elif close == c.close:
            result.skipped_existing += 1
        elif replace:
            Price.objects.filter(
                security_id=c.security_id, date=c.date, source=source.name
            ).delete()
            result.replaced[(c.security_id, c.date)] = close
            new.append(c)
        else:
            message = (
                f"{c.security.symbol} on {c.date.isoformat()} is already stored from source "
                f"{source.name!r} with close {close}; this file says {c.close}"
            )
            result.errors.append(RowError(row, source.column("close"), message))
    return new
