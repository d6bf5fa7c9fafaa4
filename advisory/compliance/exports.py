"""Exports of a filtered selection of the audit trail: CSV and JSON, streamed row by row
(constant memory), with the chain fields, CSV formula cells escaped. The export is itself an
audit event (``audit.exported``, with the filters), recorded before the first byte."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from .. import audit_actions as actions
from ..audit import record
from ..models import AuditEvent, Firm
from ..tenancy import scoped_stream

COLUMNS = (
    "seq", "created_at", "actor_id", "actor_label", "role", "action", "object_type",
    "object_id", "object_repr", "changes", "ip", "user_agent", "request_id",
    "prev_hash", "hash", "key_id",
    "api_token_id",  # issue 13: the API token the event's request used (hashed when set)
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def escape_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: a leading apostrophe before = + - @ tab CR."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def event_row(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "role": event.role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "key_id": getattr(event, "key_id", ""),  # the chain's key (when keyed)
        "api_token_id": event.api_token_id,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(COLUMNS)
    for event in events.iterator(chunk_size=CHUNK):
        row = event_row(event)
        row["changes"] = json.dumps(row["changes"], ensure_ascii=False, sort_keys=True)
        yield writer.writerow([escape_cell(row[c]) for c in COLUMNS])


def json_chunks(events: QuerySet[AuditEvent], meta: dict[str, Any]) -> Iterator[str]:
    yield '{"meta": ' + json.dumps(meta, ensure_ascii=False) + ', "events": ['
    first = True
    for event in events.iterator(chunk_size=CHUNK):
        yield ("" if first else ",\n") + json.dumps(event_row(event), ensure_ascii=False)
        first = False
    yield "]}\n"


def record_export(firm: Firm, what: str, fmt: str, filters: dict[str, str]) -> None:
    record(
        firm=firm,
        action=actions.AUDIT_EXPORTED.code,
        object_repr=f"{what} ({fmt.upper()})",
        changes={"export": what, "format": fmt, "filters": filters},
    )


def stream(
    firm: Firm, events: QuerySet[AuditEvent], *, what: str, fmt: str, filters: dict[str, str]
) -> StreamingHttpResponse:
    """Record the export, then stream ``events`` as CSV or JSON: from the replica when it has
    replayed everything committed before the export was asked for (config/db_routing)."""
    asked_at = timezone.now()
    record_export(firm, what, fmt, filters)
    name = f"{firm.slug}-{what}.{fmt}"
    if fmt == "csv":
        body, kind = csv_lines(events), "text/csv; charset=utf-8"
    else:
        meta = {"firm": firm.slug, "export": what, "filters": filters, "columns": list(COLUMNS)}
        body, kind = json_chunks(events, meta), "application/json"
    response = StreamingHttpResponse(
        scoped_stream(firm.pk, body, replica_fresh_since=asked_at), content_type=kind
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def seen_csv(firm: Firm, rows: list, filters: dict[str, str]) -> StreamingHttpResponse:
    """Who-saw-what rows (already computed, one per object) as CSV."""
    record_export(firm, "who-saw-what", "csv", filters)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(
            ("kind", "object_type", "object_id", "name", "count", "first", "last", "actions")
        )
        for r in rows:
            yield writer.writerow(
                [
                    escape_cell(v)
                    for v in (
                        r.kind,
                        r.object_type,
                        r.object_id,
                        r.name,
                        r.count,
                        r.first.isoformat(),
                        r.last.isoformat(),
                        " ".join(r.actions),
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{firm.slug}-who-saw-what.csv"'
    response["Cache-Control"] = "no-store"
    return response
