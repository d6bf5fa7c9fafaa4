"""Shared CSV validation for every import: reading, headers, cells, results.

Files are read whole (at most :data:`MAX_FILE_BYTES`), decoded as UTF-8 (a
byte-order mark is accepted), and parsed with the ``csv`` module. Row numbers
are the spreadsheet's: the header is row 1, the first data row is row 2.
Parsers raise :class:`CellError`; importers turn it into a :class:`RowError`
naming the row and the column as the file spells it.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.utils import timezone

MAX_FILE_BYTES = 20 * 1024 * 1024
MIN_DATE = dt.date(1900, 1, 1)
ALLOWED_SUFFIXES = (".csv", ".txt")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_SCIENTIFIC = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_NON_FINITE = re.compile(r"[+-]?(nan|snan|inf|infinity)", re.IGNORECASE)
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (or an .xlsx workbook); export it as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook; export it as CSV",
    b"%PDF": "a PDF document, not CSV",
    b"\xff\xfe": "UTF-16 text; save it as UTF-8",
    b"\xfe\xff": "UTF-16 text; save it as UTF-8",
}

FileInput = str | os.PathLike | IO[bytes] | IO[str]


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` None means the whole file; ``column`` None the whole row."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    rows_read: int = 0
    written: int = 0
    skipped_existing: int = 0
    # Corrections (manual entry only): (security id, date) → the close replaced.
    replaced: dict = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read, {self.written} written, "
            f"{self.skipped_existing} already present, {len(self.errors)} errors"
        )


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why."""


class FileError(Exception):
    """The file as a whole cannot be imported."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.error = RowError(row, column, message)


@dataclass(frozen=True)
class RawRow:
    """One data row: its row number and its cells by canonical field name."""

    row: int
    cells: Mapping[str, str]
    problem: str | None = None  # the wrong number of cells (``cells`` then best effort)


def shown(text: str, limit: int = 40) -> str:
    """A cell value quoted for a message: escaped, shortened, never a live formula."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def read_bytes(source: FileInput) -> bytes:
    """The file's bytes, refusing anything over the size limit or with a wrong suffix."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if not path.lower().endswith(ALLOWED_SUFFIXES):
            raise FileError(f"expected a .csv or .txt file, got {shown(os.path.basename(path))}")
        try:
            if os.path.getsize(path) > MAX_FILE_BYTES:
                raise FileError(_too_big())
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise FileError(f"cannot read {shown(os.path.basename(path))}: {exc.strerror}") from exc
    else:
        data = source.read(MAX_FILE_BYTES + 1)
    if isinstance(data, str):  # a text-mode file: already decoded
        data = data.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise FileError(_too_big())
    return data


def _too_big() -> str:
    return f"file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit"


def decode(data: bytes) -> str:
    """UTF-8 text (BOM stripped); binary look-alikes and other encodings are refused."""
    _refuse_binary(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc) from exc
    return text.removeprefix("\ufeff")


def check_head(head: bytes) -> None:
    """Raise FileError if the first bytes of a file show it is not UTF-8 CSV text.

    For uploads, before the whole file is read: ``head`` may end in the middle
    of a character, which is not held against it.
    """
    _refuse_binary(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise _not_utf8(head, exc) from exc


def _refuse_binary(data: bytes) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise FileError(f"file looks like {what}")
    if b"\x00" in data:
        raise FileError("file contains NUL bytes: it is binary, not CSV text")


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> FileError:
    line = data.count(b"\n", 0, exc.start) + 1
    bad = data[exc.start : exc.start + 1].hex()
    return FileError(f"file is not UTF-8 text (byte 0x{bad} on line {line}); save it as UTF-8")


def read_rows(
    source: FileInput, headers: Mapping[str, str], optional: frozenset[str] = frozenset()
) -> Iterator[RawRow]:
    """Data rows with cells keyed by canonical name; ``headers`` maps name → file header.

    Header names match case-insensitively, ignoring surrounding spaces. Missing
    (non-optional), unknown and repeated headers are file errors. Blank lines
    are skipped; a row with the wrong number of cells comes with a ``problem``.
    """
    reader = csv.reader(io.StringIO(decode(read_bytes(source)), newline=""), strict=True)
    records = enumerate(reader, start=1)
    try:
        found = next(((n, r) for n, r in records if any(c.strip() for c in r)), None)
        if found is None:
            raise FileError("file is empty")
        header_row, header = found
        positions = _match_header(header, headers, optional, header_row)
        yield from _data_rows(records, positions, len(header))
    except csv.Error as exc:
        raise FileError(f"unreadable CSV near line {reader.line_num}: {exc}") from exc


def _match_header(
    header: list[str], headers: Mapping[str, str], optional: frozenset[str], row: int
) -> dict[str, int]:
    wanted = {name.strip().lower(): key for key, name in headers.items()}
    positions: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        key = wanted.get(cell.strip().lower())
        if key is None:
            problems.append(f"unexpected column {shown(cell.strip())}")
        elif key in positions:
            problems.append(f"column {shown(cell.strip())} appears twice")
        else:
            positions[key] = index
    missing = [headers[k] for k in headers if k not in positions and k not in optional]
    if missing:
        problems.insert(0, "missing column(s) " + ", ".join(shown(m) for m in missing))
    if problems:
        expected = ",".join(headers.values())
        hint = _delimiter_hint(header)
        raise FileError(f"{'; '.join(problems)} (expected header: {expected}){hint}", row=row)
    return positions


def _delimiter_hint(header: list[str]) -> str:
    if len(header) == 1 and any(d in header[0] for d in ";\t|"):
        return "; the file seems to use another delimiter than a comma"
    return ""


def _data_rows(
    records: Iterator[tuple[int, list[str]]], positions: dict[str, int], width: int
) -> Iterator[RawRow]:
    count = 0
    for number, cells in records:
        if not any(c.strip() for c in cells):
            continue
        count += 1
        mapped = {key: cells[i] for key, i in positions.items() if i < len(cells)}
        problem = f"row has {len(cells)} cells, the header has {width}"
        yield RawRow(number, mapped, problem if len(cells) != width else None)
    if not count:
        raise FileError("file has a header but no data rows")


def parse_text(text: str, what: str) -> str:
    """A stripped identifier cell: required, and never something a spreadsheet would run."""
    if text[:1] in FORMULA_PREFIXES or text.strip()[:1] in FORMULA_PREFIXES:
        raise CellError(f"{what} {shown(text)} starts with a formula character (= + - @)")
    value = text.strip()
    if not value:
        raise CellError(f"{what} is required")
    return value


def parse_decimal(text: str, *, places: int, digits: int, what: str) -> Decimal:
    """An exact Decimal from a plain number like ``-12.50`` (sign allowed, checked by callers).

    Refused: empty, NaN/Infinity, exponents, thousands separators, non-ASCII
    digits, more than ``places`` decimals (trailing zeros do not count) and more
    than ``digits - places`` digits before the point.
    """
    value = text.strip()
    if not value:
        raise CellError(f"{what} is required")
    if _NON_FINITE.fullmatch(value):
        raise CellError(f"{what} must be a finite number (got {shown(value)})")
    if _SCIENTIFIC.fullmatch(value):
        raise CellError(f"{what} must be written without an exponent (got {shown(value)})")
    if not _PLAIN_NUMBER.fullmatch(value):
        raise CellError(f"{what} is not a number (got {shown(value)})")
    number = Decimal(value)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise CellError(f"{what} has more than {places} decimal places (got {value})")
    if abs(number) >= Decimal(10) ** (digits - places):
        raise CellError(f"{what} is too large (got {value})")
    return number


def parse_date(text: str, date_format: str, *, what: str) -> dt.date:
    """A real, non-future date after 1900 in ``date_format`` (e.g. ``%m/%d/%Y``)."""
    value = text.strip()
    pattern = human_format(date_format)
    if not value:
        raise CellError(f"{what} is required")
    if not value.isascii():
        raise CellError(f"{what} {shown(value)} does not match the format {pattern}")
    try:
        day = dt.datetime.strptime(value, date_format).date()  # noqa: DTZ007 (a date)
    except ValueError as exc:
        if "out of range" in str(exc):
            raise CellError(f"{what} {shown(value)} is not a real date") from exc
        raise CellError(f"{what} {shown(value)} does not match the format {pattern}") from exc
    if day < MIN_DATE:
        raise CellError(f"{what} {value} is before {MIN_DATE.year}")
    if day > timezone.localdate():
        raise CellError(f"{what} {value} is in the future")
    return day


def human_format(date_format: str) -> str:
    """``%Y-%m-%d`` → ``YYYY-MM-DD`` for messages and docs."""
    return date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")


def duplicates(keys: Mapping[int, object]) -> dict[int, list[int]]:
    """For rows whose key occurs more than once: row → every row sharing that key."""
    rows_by_key: dict[object, list[int]] = {}
    for row, key in keys.items():
        rows_by_key.setdefault(key, []).append(row)
    return {row: rows for rows in rows_by_key.values() if len(rows) > 1 for row in rows}
