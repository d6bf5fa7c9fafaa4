"""Reading an execution (confirmation) file: the counterpart of an exported order file.

Columns (header names case-insensitive, any order)::

    account_number,symbol,side,quantity,price,trade_date[,fill_id][,net_amount]

``side`` is ``buy``/``sell`` (or ``B``/``S`` as the custodian order layouts write them),
dates are ``YYYY-MM-DD``, numbers are plain decimals. The file reuses the import
checks of :mod:`portfolios.imports.csv_rows` (UTF-8 only, binary look-alikes refused,
formula cells refused) with tighter limits: an execution file answers one proposal, so
it is small. Every bad row is reported with its line number; a file with any bad row
yields no fills at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from portfolios.imports.csv_rows import (
    FORMULA_PREFIXES,
    CellError,
    FileError,
    FileInput,
    FirstSeen,
    RawRow,
    RowError,
    RowErrors,
    parse_date,
    parse_decimal,
    parse_text,
    read_bytes,
    read_rows,
    shown,
)

MAX_EXECUTION_BYTES = 1024 * 1024
MAX_EXECUTION_ROWS = 5000
DATE_FORMAT = "%Y-%m-%d"
HEADERS = {
    "account_number": "account_number",
    "symbol": "symbol",
    "side": "side",
    "quantity": "quantity",
    "price": "price",
    "trade_date": "trade_date",
    "fill_id": "fill_id",
    "amount": "net_amount",
}
OPTIONAL = frozenset({"fill_id", "amount"})
SIDES = {"buy": "buy", "b": "buy", "sell": "sell", "s": "sell"}
MAX_FILL_ID = 64  # Fill.external_id


class ExecutionFileError(Exception):
    """The fills cannot be read; ``errors`` names every bad row (row None: the whole file)."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:5]))


@dataclass(frozen=True)
class FillRow:
    """One fill as the file (or the form) gave it: not yet matched to any account."""

    line: int
    account_number: str
    symbol: str
    side: str
    quantity: Decimal
    price: Decimal
    trade_date: dt.date
    fill_id: str = ""
    amount: Decimal | None = None  # net cash; None: quantity × price


def parse_file(source: FileInput | bytes) -> list[FillRow]:
    """Every fill of an execution file, or :class:`ExecutionFileError` listing each bad row."""
    try:
        data = source if isinstance(source, bytes) else read_bytes(source)
        if len(data) > MAX_EXECUTION_BYTES:
            limit = MAX_EXECUTION_BYTES // 1024
            raise FileError(f"an execution file may be at most {limit} KB")
        return _parse_rows(read_rows(io.BytesIO(data), HEADERS, OPTIONAL))
    except FileError as exc:
        raise ExecutionFileError([exc.error]) from exc


def _parse_rows(rows: Iterable[RawRow]) -> list[FillRow]:
    today = timezone.localdate()
    fills: list[FillRow] = []
    errors = RowErrors()
    seen = FirstSeen()
    for count, raw in enumerate(rows, start=1):
        if count > MAX_EXECUTION_ROWS:
            raise FileError(f"an execution file may have at most {MAX_EXECUTION_ROWS:,} rows")
        if raw.problem:
            errors.append(RowError(raw.row, None, raw.problem))
            continue
        errors_before = errors.total
        fill = _parse_row(raw.row, raw.cells, today, errors)
        if fill is not None and fill.fill_id:
            first = seen.first_row(fill.fill_id, raw.row)
            if first is not None:
                message = f"fill id {shown(fill.fill_id)} repeats row {first}"
                errors.append(RowError(raw.row, HEADERS["fill_id"], message))
        if fill is not None and errors.total == errors_before:
            fills.append(fill)
    if errors.total:
        more = (
            [RowError(None, None, f"and {errors.omitted:,} more errors")] if errors.omitted else []
        )
        raise ExecutionFileError([*errors, *more])
    return fills


def _parse_row(
    line: int, cells: Mapping[str, str], today: dt.date, errors: RowErrors
) -> FillRow | None:
    values: dict[str, object] = {}
    for key, parse in _CELLS.items():
        try:
            values[key] = parse(cells.get(key, ""), today)
        except CellError as exc:
            errors.append(RowError(line, HEADERS[key], str(exc)))
    if len(values) != len(_CELLS):
        return None
    return FillRow(line=line, **values)  # type: ignore[arg-type]


def _side(text: str, _: dt.date) -> str:
    side = SIDES.get(text.strip().lower())
    if side is None:
        raise CellError(f"side must be buy or sell (got {shown(text.strip())})")
    return side


def _positive(what: str, places: int, digits: int) -> Callable[[str, dt.date], Decimal]:
    def parse(text: str, _: dt.date) -> Decimal:
        value = parse_decimal(text, places=places, digits=digits, what=what)
        if value <= 0:
            raise CellError(f"{what} must be more than zero (got {text.strip()})")
        return value

    return parse


def _fill_id(text: str, _: dt.date) -> str:
    value = text.strip()
    if value[:1] in FORMULA_PREFIXES or text[:1] in FORMULA_PREFIXES:
        raise CellError(f"fill id {shown(text)} starts with a formula character (= + - @)")
    if len(value) > MAX_FILL_ID:
        raise CellError(f"fill id is longer than {MAX_FILL_ID} characters")
    return value


def _amount(text: str, today: dt.date) -> Decimal | None:
    return _positive("net amount", 2, 18)(text, today) if text.strip() else None


_CELLS = {
    "account_number": lambda text, _: parse_text(text, "account number"),
    "symbol": lambda text, _: parse_text(text, "symbol").upper(),
    "side": _side,
    "quantity": _positive("quantity", 9, 20),
    "price": _positive("price", 6, 18),
    "trade_date": lambda text, today: parse_date(text, DATE_FORMAT, what="trade date", today=today),
    "fill_id": _fill_id,
    "amount": _amount,
}


def render_cells(rows: list[dict[str, str]]) -> bytes:
    """Fills typed by hand, as an execution file: hand entry is parsed exactly like a file.

    ``rows`` are cell texts keyed like :data:`HEADERS`; the n-th row becomes line n + 1.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS.values())
    for row in rows:
        writer.writerow([row.get(key, "") for key in HEADERS])
    return out.getvalue().encode("utf-8")
