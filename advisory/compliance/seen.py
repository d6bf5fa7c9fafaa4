"""Who saw what (Regulation S-P incident response): a user's or an address's read events in a
window, grouped per object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max, Min, QuerySet

from ..models import AuditEvent, Household
from .filters import (
    LIST_ACTIONS,
    OBJECT_TYPES,
    actor_q,
    in_window,
    ip_q,
    read_codes,
)

# --- Who saw what -----------------------------------------------------------------------------


@dataclass
class SeenRow:
    object_type: str
    object_id: str
    name: str
    count: int
    first: dt.datetime
    last: dt.datetime
    actions: list[str]

    @property
    def kind(self) -> str:
        for key, (_label, stored) in OBJECT_TYPES.items():
            if self.object_type in stored:
                return key
        return self.object_type


def read_events(
    *,
    actor: str = "",
    ip: str = "",
    date_from: str = "",
    date_to: str = "",
    token: int | None = None,
) -> QuerySet[AuditEvent]:
    """The read events of a user, an address or (issue 13) an API token in a window."""
    events = AuditEvent.objects.filter(action__in=read_codes())
    if actor:
        events = events.filter(actor_q(actor))
    if ip:
        events = events.filter(ip_q(ip))
    if token is not None:
        events = events.filter(api_token_id=token)
    return in_window(events, date_from, date_to).order_by("created_at", "seq")


def who_saw_what(events: QuerySet[AuditEvent]) -> list[SeenRow]:
    """Read events grouped per object: count, first and last time. List events
    (``households.listed``…) count once for every household they listed."""
    rows: dict[tuple[str, str], SeenRow] = {}
    grouped = (
        events.exclude(action__in=LIST_ACTIONS)
        .order_by()
        .values("object_type", "object_id")
        .annotate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"))
    )
    reprs: dict[tuple[str, str], str] = {}
    codes: dict[tuple[str, str], set[str]] = {}
    for g in grouped:
        key = (g["object_type"], g["object_id"])
        rows[key] = SeenRow(*key, "", g["n"], g["first"], g["last"], [])
    for ot, oid, rep, code in (
        events.exclude(action__in=LIST_ACTIONS)
        .order_by()
        .values_list("object_type", "object_id", "object_repr", "action")
        .distinct()
    ):
        reprs.setdefault((ot, oid), rep)
        codes.setdefault((ot, oid), set()).add(code)
    for when, changes in events.filter(action__in=LIST_ACTIONS).values_list(
        "created_at", "changes"
    ):
        for hid in (changes or {}).get("household_ids", []):
            key = ("advisory.household", str(hid))
            row = rows.get(key)
            if row is None:
                rows[key] = SeenRow(*key, "", 1, when, when, [])
            else:
                row.count += 1
                row.first, row.last = min(row.first, when), max(row.last, when)
            codes.setdefault(key, set()).add("households.listed")
    names = household_names(int(oid) for ot, oid in rows if ot == "advisory.household")
    for key, row in rows.items():
        current = names.get(key[1]) if key[0] == "advisory.household" else None
        row.name = current or reprs.get(key, "") or f"#{key[1]}"
        row.actions = sorted(codes.get(key, ()))
    return sorted(rows.values(), key=lambda r: (r.kind, r.name.lower(), r.object_id))


def household_names(ids: Iterable[int]) -> dict[str, str]:
    ids = set(ids)
    if not ids:
        return {}
    return {
        str(pk): name for pk, name in Household.objects.filter(pk__in=ids).values_list("pk", "name")
    }
