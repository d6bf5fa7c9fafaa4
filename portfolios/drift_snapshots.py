"""Writing drift results as DriftSnapshot rows, replacing the day's earlier rows.

The unique (firm, kind, subject_id, as_of) makes a re-run an upsert: a chunk
redelivered after a worker died writes the same rows again instead of
duplicating them. On PostgreSQL the rows go through COPY into a temporary
table and one ``INSERT … ON CONFLICT DO UPDATE``; elsewhere through
``bulk_create(update_conflicts=True)``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection

from .models import DriftSnapshot

COLUMNS = [
    "firm_id",
    "kind",
    "subject_id",
    "household_id",
    "account_id",
    "model_id",
    "run_id",
    "as_of",
    "status",
    "market_value",
    "cash_value",
    "cash_weight",
    "worst_bucket",
    "worst_abs_drift",
    "worst_rel_drift",
    "missing_symbols",
    "buckets",
    "computed_at",
]
UNIQUE = ["firm_id", "kind", "subject_id", "as_of"]
JSON_COLUMNS = {"missing_symbols", "buckets"}


def write_snapshots(
    rows: Iterable[dict[str, Any]], *, firm_id: int, run_id: int | None, computed_at: dt.datetime
) -> int:
    """Upsert snapshot rows (dicts from ``DriftResult.to_records``). Returns the count."""
    extra = {"firm_id": firm_id, "run_id": run_id, "computed_at": computed_at}
    if connection.vendor == "postgresql":
        return _copy_upsert(rows, extra)
    return _bulk_upsert(rows, extra)


def _copy_upsert(rows: Iterable[dict[str, Any]], extra: dict[str, Any]) -> int:
    table = DriftSnapshot._meta.db_table
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS if c not in UNIQUE)
    count = 0
    with connection.cursor() as cursor:
        # Same column types, no constraints: a staging area for this transaction.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS drift_stage ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {', '.join(COLUMNS)} FROM {table} WITH NO DATA"
        )
        raw = cursor.cursor
        with raw.copy(f"COPY drift_stage ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                row = {**row, **extra}
                copy.write_row(
                    [json.dumps(row[c]) if c in JSON_COLUMNS else row[c] for c in COLUMNS]
                )
                count += 1
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(COLUMNS)}) "  # noqa: S608  (names are constants)
            f"SELECT {', '.join(COLUMNS)} FROM drift_stage "
            f"ON CONFLICT ({', '.join(UNIQUE)}) DO UPDATE SET {updates}"
        )
        cursor.execute("TRUNCATE drift_stage")
    return count


def _bulk_upsert(rows: Iterable[dict[str, Any]], extra: dict[str, Any]) -> int:
    objects = [DriftSnapshot(**{**row, **extra}) for row in rows]
    DriftSnapshot.objects.bulk_create(
        objects,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["firm", "kind", "subject_id", "as_of"],
        update_fields=[c.removesuffix("_id") for c in COLUMNS if c not in UNIQUE],
    )
    return len(objects)
