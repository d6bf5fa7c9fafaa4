"""How a position file is laid out: which header holds each field, and the file's habits.

One :class:`PositionMapping` describes a layout: the built-in ``generic`` one,
the illustrative custodian presets (:mod:`portfolios.imports.custodians`) and
each firm's saved mappings (:mod:`portfolios.imports.mappings`). The habits a
custodian's export has (cost per share, ``$1,234.56`` money, ``(12.00)``
negatives, header lines before the table, a trailing ``Total`` row) are
options here, so every layout is read by the same validation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

from portfolios.imports.csv_rows import CellError, shown

# The Ballast fields a position file can fill, in display order.
FIELDS = (
    "account_number",
    "symbol",
    "quantity",
    "cost_basis",
    "acquired_date",
    "custodian",
    "owners",
)
OPTIONAL_FIELDS = frozenset({"custodian", "owners"})
FIELD_LABELS = {
    "account_number": "Account number",
    "symbol": "Symbol",
    "quantity": "Quantity",
    "cost_basis": "Cost basis",
    "acquired_date": "Acquired date",
    "custodian": "Custodian",
    "owners": "Owner e-mail(s), separated by ;",
}

COST_TOTAL = "total"  # the lot's whole cost
COST_PER_SHARE = "per_share"  # cost of one share: the lot's cost is quantity × this
NUMBERS_PLAIN = "plain"  # 1234.56, -3
NUMBERS_FORMATTED = "formatted"  # $1,234.56, (3.00), -$3.00, "--" for an unknown cost
HEADER_SEARCH_LINES = 20  # how far down a header may be, after the file's title lines
UNKNOWN_COST = frozenset({"--", "n/a", "na"})
_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?")


@dataclass(frozen=True)
class PositionMapping:
    """The header of each field ("" for an optional field the file lacks) and the habits."""

    account_number: str = "account_number"
    symbol: str = "symbol"
    quantity: str = "quantity"
    cost_basis: str = "cost_basis"
    acquired_date: str = "acquired_date"
    custodian: str = "custodian"
    owners: str = "owner_emails"
    date_format: str = "%Y-%m-%d"
    cost: str = COST_TOTAL
    numbers: str = NUMBERS_PLAIN
    header_search: bool = False  # title lines before the header row
    extra_columns: bool = False  # columns Ballast does not read are ignored, not refused
    # Rows whose account or symbol cell starts with one of these (any case) are the file's
    # totals or cash lines, skipped; so are note lines (a single cell, shorter than the header).
    summary_markers: tuple[str, ...] = ()

    def headers(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in FIELDS if getattr(self, name)}

    def options(self) -> dict[str, Any]:
        """Everything but the headers, JSON-ready (ColumnMapping.options)."""
        data = asdict(self)
        for name in FIELDS:
            data.pop(name)
        data["summary_markers"] = list(self.summary_markers)
        return data

    @classmethod
    def of(cls, columns: dict[str, str], options: dict[str, Any]) -> PositionMapping:
        """A saved mapping's JSON back into a layout; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {name: "" for name in OPTIONAL_FIELDS}
        values |= {k: v for k, v in columns.items() if k in FIELDS}
        values |= {k: v for k, v in options.items() if k in known and k not in FIELDS}
        values["summary_markers"] = tuple(values.get("summary_markers") or ())
        return cls(**values)

    def is_summary(self, cells: dict[str, str], raw: list[str], width: int) -> bool:
        """Whether a data row is a total, cash or note line the layout says to skip."""
        if not self.summary_markers:
            return False
        for name in ("account_number", "symbol"):
            text = cells.get(name, "").strip().lower()
            if text and text.startswith(self.summary_markers):
                return True
        return len(raw) < width and sum(1 for c in raw if c.strip()) == 1


def number_text(text: str, numbers: str) -> str:
    """A formatted amount as a plain number: ``$1,234.56`` → ``1234.56``, ``(3)`` → ``-3``.

    Plain layouts get the text unchanged (the parser refuses ``$`` and commas).
    """
    if numbers != NUMBERS_FORMATTED:
        return text
    value = text.strip()
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value.startswith("-") and not negative:
        negative, value = True, value[1:].strip()
    value = value.removeprefix("$").strip()
    if value.startswith("-") and not negative:  # "$-3.00"
        negative, value = True, value[1:].strip()
    if "," in value:
        if not _GROUPED.fullmatch(value):
            raise CellError(f"misplaced thousands separator in {shown(text.strip())}")
        value = value.replace(",", "")
    return f"-{value}" if negative and value else value
