"""Shared CSV validation for every import: reading, headers, cells, results.

Files are read whole (at most :data:`MAX_FILE_BYTES`), decoded as UTF-8 (a
byte-order mark is accepted), and parsed with the ``csv`` module. Row numbers
are the spreadsheet's: the header is row 1, the first data row is row 2.
Parsers raise :class:`CellError`; importers turn it into a :class:`RowError`
naming the row and the column as the file spells it.

No file may exhaust the process: rows are streamed (never a list of every
row), duplicates are found with one dictionary (:class:`FirstSeen`: a repeat
names the first row it copies, never every other one), and an import reports
at most :data:`MAX_REPORTED_ERRORS` errors and counts the rest
(:class:`RowErrors`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import os
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.utils import timezone

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_REPORTED_ERRORS = 1000
MAX_HEADER_PROBLEMS = 10
MIN_DATE = dt.date(1900, 1, 1)
ALLOWED_SUFFIXES = (".csv", ".txt")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_SCIENTIFIC = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+")
_NON_FINITE = re.compile(r"[+-]?(nan|snan|inf|infinity)", re.IGNORECASE)
# One line with its ending, as universal newlines split them (\r\n, \r or \n).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
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


class RowErrors(list[RowError]):
    """A list of errors that keeps the first ``cap`` and only counts the rest.

    Every importer appends to one of these, so a file of half a million bad
    rows costs a thousand messages and a number, not half a million messages.
    """

    def __init__(self, errors: Iterable[RowError] = (), cap: int = MAX_REPORTED_ERRORS) -> None:
        super().__init__()
        self.cap = cap
        self.omitted = 0
        self.extend(errors)

    def append(self, error: RowError) -> None:
        if len(self) < self.cap:
            super().append(error)
        else:
            self.omitted += 1

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    def __iadd__(self, errors: Iterable[RowError]) -> RowErrors:  # type: ignore[override,misc]
        self.extend(errors)
        return self

    @property
    def total(self) -> int:
        return len(self) + self.omitted

    @property
    def has_room(self) -> bool:
        """False once the cap is reached: callers may skip building a message."""
        return len(self) < self.cap


@dataclass
class ImportResult:
    rows_read: int = 0
    written: int = 0
    skipped_existing: int = 0
    # Corrections (manual entry only): (security id, date) → the close replaced.
    replaced: dict = field(default_factory=dict)
    errors: RowErrors = field(default_factory=RowErrors)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        """Every error found, including those past the reporting cap."""
        return self.errors.total if isinstance(self.errors, RowErrors) else len(self.errors)

    @property
    def errors_omitted(self) -> int:
        return self.error_count - len(self.errors)

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read, {self.written} written, "
            f"{self.skipped_existing} already present, {self.error_count} errors"
        )


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why."""


class FileError(Exception):
    """The file as a whole cannot be imported."""

    def __init__(self, message: str, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.error = RowError(row, column, message)


# A layout's rule for rows that are not data (totals, notes): (cells by name, raw, width).
SkipRow = Callable[[dict[str, str], list[str], int], bool]


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
    source: FileInput,
    headers: Mapping[str, str],
    optional: frozenset[str] = frozenset(),
    *,
    extra_columns: bool = False,
    header_search: int = 0,
    skip: SkipRow | None = None,
) -> Iterator[RawRow]:
    """Data rows with cells keyed by canonical name; ``headers`` maps name → file header.

    Header names match case-insensitively, ignoring surrounding spaces. Missing
    (non-optional), unknown and repeated headers are file errors. Blank lines
    are skipped; a row with the wrong number of cells comes with a ``problem``.

    Custodian layouts loosen three rules: ``extra_columns`` ignores columns not
    in ``headers``; ``header_search`` lets the header be any of the first that
    many lines (title lines before it are skipped); ``skip(cells, raw, width)``
    drops rows such as totals before they are checked or counted.
    """
    # Lines are cut lazily from the decoded text: an io.StringIO would hold a second,
    # four-bytes-a-character copy of a 20 MB file.
    lines = (m.group() for m in _LINE.finditer(decode(read_bytes(source))))
    reader = csv.reader(lines, strict=True)
    records = enumerate(reader, start=1)
    try:
        found = next(((n, r) for n, r in records if any(c.strip() for c in r)), None)
        if found is None:
            raise FileError("file is empty")
        if header_search:
            found = _find_header(found, records, headers, optional, header_search)
        header_row, header = found
        positions = _match_header(header, headers, optional, header_row, extra_columns)
        yield from _data_rows(records, positions, len(header), skip)
    except csv.Error as exc:
        raise FileError(f"unreadable CSV near line {reader.line_num}: {exc}") from exc


def _find_header(
    first: tuple[int, list[str]],
    records: Iterator[tuple[int, list[str]]],
    headers: Mapping[str, str],
    optional: frozenset[str],
    lines: int,
) -> tuple[int, list[str]]:
    """The first of the next ``lines`` lines holding every required header (title lines skipped)."""
    required = {h.strip().lower() for k, h in headers.items() if k not in optional}
    candidate: tuple[int, list[str]] | None = first
    while candidate is not None and candidate[0] <= lines:
        if required <= {c.strip().lower() for c in candidate[1]}:
            return candidate
        candidate = next(records, None)
    expected = ", ".join(shown(h) for k, h in headers.items() if k not in optional)
    raise FileError(f"no header row with the columns {expected} in the first {lines} lines")


def _match_header(
    header: list[str],
    headers: Mapping[str, str],
    optional: frozenset[str],
    row: int,
    extra_columns: bool = False,
) -> dict[str, int]:
    wanted = {name.strip().lower(): key for key, name in headers.items()}
    positions: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(header):
        key = wanted.get(cell.strip().lower())
        if key is None:
            if not extra_columns:
                problems.append(f"unexpected column {shown(cell.strip())}")
        elif key in positions:
            problems.append(f"column {shown(cell.strip())} appears twice")
        else:
            positions[key] = index
    missing = [headers[k] for k in headers if k not in positions and k not in optional]
    if missing:
        problems.insert(0, "missing column(s) " + ", ".join(shown(m) for m in missing))
    if len(problems) > MAX_HEADER_PROBLEMS:
        more = len(problems) - MAX_HEADER_PROBLEMS
        problems = [*problems[:MAX_HEADER_PROBLEMS], f"and {more:,} more column problems"]
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
    records: Iterator[tuple[int, list[str]]],
    positions: dict[str, int],
    width: int,
    skip: SkipRow | None = None,
) -> Iterator[RawRow]:
    count = 0
    for number, cells in records:
        if not any(map(str.strip, cells)):
            continue
        mapped = {key: cells[i] for key, i in positions.items() if i < len(cells)}
        if skip is not None and skip(mapped, cells, width):
            continue
        count += 1
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
    if not _PLAIN_NUMBER.fullmatch(value):  # the common case first: one regex per cell
        if not value:
            raise CellError(f"{what} is required")
        if _NON_FINITE.fullmatch(value):
            raise CellError(f"{what} must be a finite number (got {shown(value)})")
        if _SCIENTIFIC.fullmatch(value):
            raise CellError(f"{what} must be written without an exponent (got {shown(value)})")
        raise CellError(f"{what} is not a number (got {shown(value)})")
    number = Decimal(value)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise CellError(f"{what} has more than {places} decimal places (got {value})")
    if abs(number) >= Decimal(10) ** (digits - places):
        raise CellError(f"{what} is too large (got {value})")
    return number


def parse_date(text: str, date_format: str, *, what: str, today: dt.date | None = None) -> dt.date:
    """A real, non-future date after 1900 in ``date_format`` (e.g. ``%m/%d/%Y``).

    ``today`` (default: the local date) is the latest date allowed; an importer
    passes it once instead of asking the clock for every row.
    """
    value = text.strip()
    if not value:
        raise CellError(f"{what} is required")
    day = _calendar_date(value, date_format)
    if isinstance(day, str):
        raise CellError(f"{what} {shown(value)} {day}")
    if day < MIN_DATE:
        raise CellError(f"{what} {value} is before {MIN_DATE.year}")
    if day > (today or timezone.localdate()):
        raise CellError(f"{what} {value} is in the future")
    return day


@functools.lru_cache(maxsize=4096)
def _calendar_date(value: str, date_format: str) -> dt.date | str:
    """The date, or why not; cached: a file repeats its dates, and strptime is slow."""
    if not value.isascii():
        return f"does not match the format {human_format(date_format)}"
    try:
        return dt.datetime.strptime(value, date_format).date()  # noqa: DTZ007 (a date)
    except ValueError as exc:
        if "out of range" in str(exc):
            return "is not a real date"
        return f"does not match the format {human_format(date_format)}"


def human_format(date_format: str) -> str:
    """``%Y-%m-%d`` → ``YYYY-MM-DD`` for messages and docs."""
    text = date_format.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
    return text.replace("%b", "Mon").replace("%y", "YY")


class FirstSeen:
    """Duplicate rows in one pass: each key remembers the first row that had it.

    Linear in time and memory: a file of a million identical lines costs one
    dictionary entry, and each repeat names one row (the first), never the list
    of every other copy.
    """

    def __init__(self) -> None:
        self._first: dict[Hashable, int] = {}
        self.repeated: Counter[int] = Counter()  # first row → how many later copies

    def first_row(self, key: Hashable, row: int) -> int | None:
        """None when ``key`` is new (``row`` is remembered); else the first row with it."""
        first = self._first.setdefault(key, row)
        if first == row:
            return None
        self.repeated[first] += 1
        return first
