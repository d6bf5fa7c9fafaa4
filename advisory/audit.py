"""The audit trail: one writer, redaction, and chain verification.

Every change and every sensitive read goes through :func:`record`, inside the
transaction of the change. Each firm's events form a keyed hash chain:
``hash = HMAC-SHA256(key[key_id], prev_hash + canonical_json(content))`` with a gap-free
``seq``, where the key is configured outside the database and its id is stored with (and
hashed into) each event (:mod:`advisory.chain.keys`). Appends for one firm are serialised
by locking the firm's row, so concurrent writers queue instead of forking the chain.
Verification and anchoring live in :mod:`advisory.chain`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from . import audit_actions
from .audit_actions import ActionType
from .chain.keys import GENESIS_HASH, canonical_json, compute_hash, current_key
from .chain.report import ChainReport
from .db_security import row_security
from .models import AuditEvent, Firm
from .request_context import current_actor
from .tenancy import firm_scope

__all__ = [
    "GENESIS_HASH",
    "ChainReport",
    "Entry",
    "canonical_json",
    "compute_hash",
    "event_content",
    "record",
    "record_change",
    "record_many",
    "verify_chain",
]

REDACTED = "[redacted]"
_SECRET_KEY_RE = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|^key$|_key$|"
    r"otp|recovery|credential|signature|authorization|cookie|session",
    re.IGNORECASE,
)


def redact(value: Any) -> Any:
    """Replace the values of secret-looking keys, at any depth."""
    if isinstance(value, Mapping):
        return {
            str(k): (REDACTED if _SECRET_KEY_RE.search(str(k)) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def json_safe(value: Any) -> Any:
    """Turn a value into plain JSON types; Decimals and floats become strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (Decimal, float)):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return str(value)


def event_content(event: AuditEvent) -> dict[str, Any]:
    """The fields covered by the hash, as stored: the key id too, for a keyed event (a
    legacy event's content is exactly what was hashed before keys existed)."""
    content = {
        "firm": event.firm_id,
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor": event.actor_id,
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
    }
    if event.key_id:
        content["key_id"] = event.key_id
    token = getattr(event, "api_token_id", None)  # rows read without the column have none
    if token is not None:  # only then: older events hash as they always did
        content["api_token"] = token
    return content


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Concrete field values of a model instance, JSON-safe (FKs as ids).

    ``auto_now`` timestamps are left out: they change on every save and say
    nothing the event's own time does not.
    """
    wanted = set(fields) if fields is not None else None
    out: dict[str, Any] = {}
    for field in instance._meta.concrete_fields:
        if wanted is not None and field.name not in wanted:
            continue
        if getattr(field, "auto_now", False):
            continue
        out[field.name] = json_safe(getattr(instance, field.attname))
    return out


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Only the fields whose values changed, as {field: {before, after}}."""
    keys = sorted(set(before) | set(after))
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    }


def object_type_of(obj: models.Model) -> str:
    return obj._meta.label_lower


@dataclass(frozen=True)
class Entry:
    """One event to append, before the chain gives it a place (seq, time, hashes)."""

    action: ActionType | str
    obj: models.Model | None = None
    object_type: str = ""
    object_id: str | int = ""
    object_repr: str = ""
    changes: Mapping[str, Any] | None = None
    actor: Any = None
    actor_label: str | None = None
    role: str | None = None


def record(*, firm: Firm | int, action: ActionType | str, **fields: Any) -> AuditEvent:
    """Append one event to the firm's audit chain, in the current transaction.

    ``fields`` are those of :class:`Entry` (obj, object_type/id/repr, changes, actor,
    actor_label, role). Actor, role, IP, user agent and request id default to the current
    :mod:`advisory.request_context`. Secret-looking keys in ``changes`` are redacted before
    anything is stored or hashed. ``action`` must be registered in
    :mod:`advisory.audit_actions`: an unknown code raises
    :class:`~advisory.audit_actions.UnknownAction` and nothing is written.
    """
    return record_many(firm=firm, entries=[Entry(action=action, **fields)])[0]


def record_many(*, firm: Firm | int, entries: Sequence[Entry]) -> list[AuditEvent]:
    """Append several events in one go, in order, in the current transaction.

    The events are built first; the firm's chain lock is then taken once and the rows
    written with one bulk insert, so a large write (a position import's thousand
    accounts) holds the lock for milliseconds, not one round trip per event. Call it at
    the end of the writer's transaction: the lock lasts until that transaction ends.
    """
    firm_id = firm if isinstance(firm, int) else firm.pk
    events = [_unplaced(firm_id, entry) for entry in entries]
    if not events:
        return []
    key_id, key = current_key()  # before the lock: a missing key refuses the write
    _run_deferred_checks()
    with transaction.atomic():
        # Serialise appends for this firm: the lock is held until the surrounding
        # transaction ends, so the next writer sees our rows. NO KEY: every insert into a
        # firm-owned table takes FOR KEY SHARE on the firm's row (its foreign key check)
        # and holds it to commit; FOR UPDATE would make appends wait for those writers.
        Firm.objects.select_for_update(no_key=True).filter(pk=firm_id).values_list(
            "pk", flat=True
        ).get()
        with firm_scope(firm_id):
            last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
            seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS_HASH)
            now = timezone.now().astimezone(dt.UTC)
            for event in events:
                seq += 1
                event.seq, event.created_at, event.prev_hash = seq, now, prev_hash
                event.key_id = key_id
                event.hash = prev_hash = compute_hash(prev_hash, event_content(event), key)
            _insert(events)
    return events


def _run_deferred_checks() -> None:
    """Check the writer's deferred constraints now, before the chain lock is taken.

    Django's foreign keys on PostgreSQL are DEFERRABLE INITIALLY DEFERRED: left alone, a
    25,000-lot import checks them all at COMMIT, a third of a second during which it would
    hold the firm's chain lock. Forcing them here leaves the commit only the few events' own.
    """
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


COPY_FROM = 100  # events: from this many, PostgreSQL takes them by COPY (~15x faster)
COPY_STAGING = "ballast_audit_copy"  # a temporary table, one per session


def _insert(events: list[AuditEvent]) -> None:
    """Write placed events. A large batch on PostgreSQL goes by COPY, which spends
    milliseconds where a bulk INSERT spends a quarter of a second adapting parameters,
    all of it under the chain lock. (COPY does not return ids; callers of a large batch
    read events by firm and seq.)"""
    if connection.vendor != "postgresql" or len(events) < COPY_FROM:
        AuditEvent.objects.bulk_create(events, batch_size=500)
        return
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = AuditEvent._meta.db_table
    if not row_security.active_for(connection, table):
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for event in events:
                copy.write_row([_copy_value(event, f) for f in fields])
        return
    with connection.cursor() as cursor:
        # Row-level security (advisory/db_security) refuses COPY into the table itself: the
        # rows go by COPY into a transaction-local staging table, then in by one INSERT …
        # SELECT, which the firm policy checks like any insert. Dropped at commit, never kept
        # on the session: through a transaction pooler the next transaction on this server
        # connection may be another client's, logged in as another role.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {COPY_STAGING} ON COMMIT DROP "  # noqa: S608
            f"AS SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {COPY_STAGING} ({names}) FROM STDIN") as copy:
            for event in events:
                copy.write_row([_copy_value(event, f) for f in fields])
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {COPY_STAGING}")  # noqa: S608
        cursor.execute(f"DELETE FROM {COPY_STAGING}")  # noqa: S608


def _copy_value(event: AuditEvent, field: models.Field) -> Any:
    value = getattr(event, field.attname)
    return json.dumps(value) if isinstance(field, models.JSONField) else value


def _unplaced(firm_id: int, entry: Entry) -> AuditEvent:
    """The event an entry describes, with the request's context filled in, not yet chained."""
    code = audit_actions.resolve(entry.action).code
    ctx = current_actor()
    actor = entry.actor if entry.actor is not None else ctx.actor
    object_type, object_id, object_repr = entry.object_type, entry.object_id, entry.object_repr
    if entry.obj is not None:
        object_type = object_type or object_type_of(entry.obj)
        object_id = object_id or entry.obj.pk
        object_repr = object_repr or str(entry.obj)
    label = entry.actor_label if entry.actor_label is not None else ctx.actor_label
    changes = json_safe(redact(entry.changes or {}))
    if ctx.client_request_id:
        # The event has no column for it: a client's request id rides in the changes,
        # beside our request_id, never in its place.
        changes = {**changes, "client_request_id": ctx.client_request_id}
    return AuditEvent(
        firm_id=firm_id,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(label or str(actor or ""))[:254],
        role=(entry.role if entry.role is not None else ctx.role)[:20],
        action=code,
        object_type=object_type[:80],
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        changes=changes,
        ip=ctx.ip,
        user_agent=ctx.user_agent[:400],
        request_id=ctx.request_id[:64],
        api_token_id=ctx.api_token_id,
    )


def record_change(
    *,
    firm: Firm | int,
    obj: models.Model,
    before: Mapping[str, Any] | None,
    verb: str,
) -> AuditEvent | None:
    """Record a create/update/delete of ``obj`` with its before/after values.

    ``before`` is the snapshot taken before the change (None for a create).
    An update that changed nothing records nothing. The action code comes from
    the registry: a model without ``<model_name>.<verb>`` registered raises
    :class:`~advisory.audit_actions.UnknownAction` instead of writing a stray code.
    """
    action = audit_actions.model_change(obj._meta.model_name, verb)
    after = snapshot(obj) if verb != "deleted" else {}
    changes = diff(before or {}, after)
    if verb == "updated" and not changes:
        return None
    return record(firm=firm, action=action, obj=obj, changes=changes)


def verify_chain(firm: Firm, **options: Any) -> ChainReport:
    """Verify one firm's chain against its keys and anchors: see
    :func:`advisory.chain.verify.verify_chain` (imported here late: it reads this module)."""
    from .chain.verify import verify_chain as walk

    return walk(firm, **options)
