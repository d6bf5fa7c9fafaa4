"""Writing a chunk's household rows: one multi-row INSERT per few hundred rows.

``bulk_create`` on PostgreSQL sends each column as an array parameter, and quoting the
trades' JSON inside a text array runs a regex over every character in Python: seconds per
chunk. COPY would be faster still, but row-level security refuses ``COPY FROM`` for the
application role. Plain parameters in a multi-row VALUES list cost a fraction of either.
The trades and notes go in as one compact text (``encode_result``), not jsonb.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from portfolios.models import ModelPreviewHousehold
from portfolios.models.model_previews import encode_result

TABLE = ModelPreviewHousehold._meta.db_table
COLUMNS = [
    "firm_id",
    "preview_id",
    "household_id",
    "advisor_id",
    "outcome",
    "detail",
    "market_value",
    "trade_count",
    "buy_value",
    "sell_value",
    "realized_short_term",
    "realized_long_term",
    "cash_before",
    "cash_after",
    "breached_now",
    "breached_new",
    "breached_after",
    "result",
]
ROWS_PER_STATEMENT = 250
DEFAULTS = {f.attname: f.get_default() for f in ModelPreviewHousehold._meta.concrete_fields}


def insert_rows(
    firm_id: int, preview_id: int, rows: Sequence[dict[str, Any]], breached_now: dict
) -> int:
    """Insert the household rows of one chunk (``preview_row`` dicts) in its transaction."""
    values = [_values(firm_id, preview_id, r, breached_now) for r in rows]
    placeholder = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(values), ROWS_PER_STATEMENT):
            part = values[start : start + ROWS_PER_STATEMENT]
            sql = (
                f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES "  # noqa: S608 (constants)
                + ", ".join([placeholder] * len(part))
            )
            cursor.execute(sql, [v for row in part for v in row])
    return len(values)


def _values(firm_id: int, preview_id: int, row: dict[str, Any], breached_now: dict) -> list:
    out = []
    for column in COLUMNS:
        if column == "firm_id":
            value = firm_id
        elif column == "preview_id":
            value = preview_id
        elif column == "breached_now":
            value = breached_now.get(row["household_id"])
        elif column == "result":
            value = encode_result(row.get("trades", []), row.get("notes", []))
        else:
            value = row.get(column, DEFAULTS[column])
        out.append(value)
    return out
