"""A firm's saved column mappings: read a sample file, save a layout, version every edit.

A firm admin uploads one file of a custodian, sees its headers and first rows
(:func:`read_sample`), says which column holds each Ballast field and how the
file writes dates and amounts, and saves: version 1. Saving again under the
same name writes version n+1 and moves ``is_current`` to it; old versions are
kept, because each position import records the version it was read with.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm
from portfolios.imports.csv_rows import FileError, FileInput, decode, read_bytes
from portfolios.imports.layout import FIELDS, OPTIONAL_FIELDS, PositionMapping
from portfolios.models import ColumnMapping

SAMPLE_LINES = 30  # lines searched for the header
SAMPLE_ROWS = 5  # data rows shown under it
MAX_COLUMNS = 60
MAX_CELL = 60  # characters of a cell shown

# The date formats a saved mapping may use (strptime patterns → how the page shows them).
DATE_FORMATS = {
    "%Y-%m-%d": "YYYY-MM-DD (2024-03-01)",
    "%m/%d/%Y": "MM/DD/YYYY (03/01/2024)",
    "%d/%m/%Y": "DD/MM/YYYY (01/03/2024)",
    "%m/%d/%y": "MM/DD/YY (03/01/24)",
    "%Y%m%d": "YYYYMMDD (20240301)",
    "%b-%d-%Y": "Mon-DD-YYYY (Mar-01-2024)",
    "%d.%m.%Y": "DD.MM.YYYY (01.03.2024)",
}

# Header words that suggest a field, for the first guess on the page.
_HINTS = {
    "account_number": ("account number", "account no", "acct", "account"),
    "symbol": ("symbol", "ticker"),
    "quantity": ("quantity", "shares", "qty", "units"),
    "cost_basis": ("cost basis", "total cost", "cost"),
    "acquired_date": ("acquired", "trade date", "open date", "purchase date", "date"),
    "custodian": ("custodian",),
    "owners": ("owner", "e-mail", "email"),
}


class MappingError(ValueError):
    """A mapping that cannot be saved; the message says why (for the form)."""


@dataclass(frozen=True)
class Sample:
    """What the page shows of a sample file: its header (and on which line) and first rows."""

    headers: list[str]
    rows: list[list[str]]
    header_line: int
    guesses: dict[str, str] = field(default_factory=dict)

    @property
    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """Each row's cells with their header (a phone shows the table as labelled cards)."""
        width = len(self.headers)
        return [
            list(zip(self.headers, [*row, *[""] * (width - len(row))][:width], strict=True))
            for row in self.rows
        ]


def read_sample(source: FileInput) -> Sample:
    """The header and first rows of a sample file, with a guess for each field.

    The header is the widest of the first lines (title lines before it are
    common); the same size, encoding and binary checks as an import apply.
    """
    text = decode(read_bytes(source))
    lines = list(_first_lines(text, SAMPLE_LINES + SAMPLE_ROWS))
    try:
        records = [
            (n, r) for n, r in enumerate(csv.reader(lines), start=1) if any(c.strip() for c in r)
        ]
    except csv.Error as exc:
        raise FileError(f"unreadable CSV: {exc}") from exc
    head = [(n, r) for n, r in records if n <= SAMPLE_LINES]
    if not head:
        raise FileError("file is empty")
    width = max(_filled(r) for _, r in head)
    if width < 2:
        raise FileError("no header row with two or more columns in the first lines")
    line, header = next((n, r) for n, r in head if _filled(r) == width)
    headers = [h.strip()[:MAX_CELL] for h in header[:MAX_COLUMNS]]
    rows = [[c.strip()[:MAX_CELL] for c in r[:MAX_COLUMNS]] for n, r in records if n > line][
        :SAMPLE_ROWS
    ]
    return Sample(headers, rows, line, guess_columns(headers))


def _first_lines(text: str, count: int) -> Iterator[str]:
    """The first ``count`` lines, without splitting the rest of a (possibly large) file."""
    start = 0
    for _ in range(count):
        if start >= len(text):
            return
        end = text.find("\n", start)
        if end == -1:
            yield text[start:].rstrip("\r")
            return
        yield text[start:end].rstrip("\r")
        start = end + 1


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c.strip())


def guess_columns(headers: list[str]) -> dict[str, str]:
    """A first guess of which header holds each field (each header used once)."""
    guesses: dict[str, str] = {}
    used: set[str] = set()
    for name in FIELDS:
        for hint in _HINTS[name]:
            match = next((h for h in headers if h and h not in used and hint in h.lower()), None)
            if match:
                guesses[name] = match
                used.add(match)
                break
    return guesses


def check_layout(layout: PositionMapping) -> None:
    """Raise MappingError unless every required field has a header, each header once."""
    headers = layout.headers()
    missing = [n for n in FIELDS if n not in OPTIONAL_FIELDS and not headers.get(n, "").strip()]
    if missing:
        raise MappingError("Choose a column for " + ", ".join(m.replace("_", " ") for m in missing))
    repeated = [h for h, n in Counter(h.strip().lower() for h in headers.values()).items() if n > 1]
    if repeated:
        raise MappingError(f"Each column may hold one field only: {', '.join(repeated)}")
    if layout.date_format not in DATE_FORMATS:
        raise MappingError(f"Unknown date format {layout.date_format!r}")


def current_mappings() -> QuerySet[ColumnMapping]:
    """The firm's mappings, current versions only (call inside the firm scope)."""
    return ColumnMapping.objects.filter(is_current=True).select_related("created_by")


def layout_of(saved: ColumnMapping) -> PositionMapping:
    return PositionMapping.of(saved.columns or {}, saved.options or {})


def save_mapping(
    firm: Firm,
    *,
    name: str,
    custodian: str,
    layout: PositionMapping,
    actor: Any,
    edits: ColumnMapping | None = None,
) -> ColumnMapping:
    """Save a new mapping (version 1) or, with ``edits``, the next version of that mapping.

    Editing refuses when ``edits`` is no longer the current version (someone
    saved meanwhile). Audited as ``column_mapping.saved``.
    """
    check_layout(layout)
    name = name.strip()
    try:
        with transaction.atomic():
            version = 1
            if edits is not None:
                current = (
                    ColumnMapping.objects.select_for_update()
                    .filter(name=edits.name, is_current=True)
                    .first()
                )
                if current is None or current.pk != edits.pk:
                    raise MappingError(
                        "This mapping was changed meanwhile; reload the page to edit the latest "
                        "version."
                    )
                name = edits.name
                version = current.version + 1
                current.is_current = False
                current.save(update_fields=["is_current"])
            elif ColumnMapping.objects.filter(name__iexact=name).exists():
                raise MappingError(f"A mapping named {name!r} exists already; edit it instead.")
            saved = ColumnMapping.objects.create(
                firm=firm,
                name=name,
                custodian=custodian,
                version=version,
                is_current=True,
                columns={k: v.strip() for k, v in layout.headers().items()},
                options=layout.options(),
                created_by=actor,
            )
            record(
                firm=firm,
                action=actions.COLUMN_MAPPING_SAVED,
                obj=saved,
                changes={
                    "version": version,
                    "custodian": custodian,
                    "columns": saved.columns,
                    "options": saved.options,
                },
                actor=actor,
            )
    except IntegrityError:  # two admins saving the same name at once: one wins
        raise MappingError("This mapping was saved by someone else meanwhile; reload.") from None
    return saved
