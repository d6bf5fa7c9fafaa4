"""Events made readable: changes field by field, ids resolved to names (one query per model
per page), long values expandable."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import audit_actions as actions
from ..models import Account, AuditEvent, Client, Household, Membership, User

# --- Readable changes -------------------------------------------------------------------------

# Field names whose values are ids, and the model whose names they stand for.
USER_FIELDS = frozenset(
    {"approved_by", "author", "submitted_by", "rejected_by", "generated_by", "released_by",
     "requested_by", "user", "actor", "entered_by"}
)  # fmt: skip
FK_MODELS: dict[str, Any] = {
    "household": Household,
    "account": Account,
    "client": Client,
    "primary_advisor": Membership,
    "membership": Membership,
    "model": Household._meta.get_field("model").related_model,  # a door-free reference
}
LONG = 60


@dataclass
class ChangeLine:
    field: str
    pair: bool
    before: Any = None
    after: Any = None
    value: Any = None


@dataclass
class Shown:
    text: str
    long: bool = False
    none: bool = False


def _ids_of(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str) and value.isdigit():
        return [int(value)]
    return []


def _field_model(name: str) -> Any:
    if name in USER_FIELDS:
        return User
    return FK_MODELS.get(name)


def _name(model: Any, obj: Any) -> str:
    if model is User:
        return obj.full_name or obj.email if hasattr(obj, "full_name") else obj.email
    if model is Membership:
        return obj.user.email
    return str(obj)


def resolve_names(events: Iterable[AuditEvent], firm_id: int) -> dict[tuple[Any, int], str]:
    """{(model, id): name} for every FK-ish value in the events' changes: one query per
    model, whatever the number of events. Users are looked up among the firm's members only."""
    wanted: dict[Any, set[int]] = {}
    for event in events:
        for name, change in (event.changes or {}).items():
            model = _field_model(name)
            if model is None:
                continue
            values = (
                [change.get("before"), change.get("after")]
                if isinstance(change, dict) and "after" in change
                else [change]
            )
            for v in values:
                wanted.setdefault(model, set()).update(_ids_of(v))
    out: dict[tuple[Any, int], str] = {}
    for model, ids in wanted.items():
        if not ids:
            continue
        if model is User:
            rows = User.objects.filter(pk__in=ids, memberships__firm_id=firm_id).distinct()
        elif model is Membership:
            rows = Membership.objects.filter(pk__in=ids).select_related("user")
        else:
            rows = model.objects.filter(pk__in=ids)
        for obj in rows:
            out[(model, obj.pk)] = _name(model, obj)
    return out


def _shown(field_name: str, value: Any, names: Mapping[tuple[Any, int], str]) -> Shown:
    if value is None:
        return Shown("∅", none=True)
    model = _field_model(field_name)
    if model is not None and _ids_of(value):
        name = names.get((model, _ids_of(value)[0]))
        if name:
            return Shown(f"{name} (#{value})")
    if isinstance(value, (dict, list)):
        compact = json.dumps(value, ensure_ascii=False, sort_keys=True)
        if len(compact) <= LONG:
            return Shown(compact)
        return Shown(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True), long=True)
    text = str(value)
    return Shown(text, long=len(text) > LONG or "\n" in text)


def readable(event: AuditEvent, names: Mapping[tuple[Any, int], str]) -> list[ChangeLine]:
    lines = []
    for name, change in (event.changes or {}).items():
        if isinstance(change, dict) and set(change) <= {"before", "after"} and "after" in change:
            lines.append(
                ChangeLine(
                    name,
                    True,
                    before=_shown(name, change.get("before"), names),
                    after=_shown(name, change.get("after"), names),
                )
            )
        else:
            lines.append(ChangeLine(name, False, value=_shown(name, change, names)))
    return lines


def decorate(events: list[AuditEvent], firm_id: int) -> list[AuditEvent]:
    """Give each event ``action_label`` and ``change_lines`` (names resolved, one query per
    model for the whole list)."""
    names = resolve_names(events, firm_id)
    for event in events:
        event.action_label = actions.label_of(event.action)
        event.change_lines = readable(event, names)
    return events
