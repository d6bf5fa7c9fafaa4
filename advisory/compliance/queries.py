"""The compliance workspace's reads of the audit trail: plain functions that take filters and
return querysets or rows. Everything runs in the active firm scope (``AuditEvent`` is
firm-owned), so another firm's events never match.

Query shapes (for indexes): firm + created_at range (with action IN, actor, ip); firm +
object_type + object_id (timelines); firm + actor + created_at (who saw what, logins).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet

from reports import queries as archive

from .. import audit_actions as actions
from ..models import Account, AuditEvent, Client, Household, Membership, User

# Object types a compliance officer filters by, and what ``record()`` stores for them
# (``obj._meta.label_lower``).
OBJECT_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "household": ("Household", ("advisory.household",)),
    "account": ("Account", ("advisory.account",)),
    "client": ("Client", ("advisory.client",)),
    "proposal": ("Proposal", ("portfolios.proposal",)),
    "report": ("Report", ("reports.archivedreport",)),
    "disclosure": ("Disclosure", ("reports.disclosure", "reports.disclosureversion")),
    "model": ("Model portfolio", ("portfolios.modelportfolio",)),
    "user": ("User", ("advisory.user",)),
    "membership": ("Membership", ("advisory.membership",)),
}
TIMELINE_TYPES = tuple(OBJECT_TYPES)  # the timeline is read from events: any kind works
ROLES = ("admin", "advisor", "compliance", "client")
_IP_PREFIX_RE = re.compile(r"^[0-9a-fA-F:.]+$")
LIST_ACTIONS = (actions.HOUSEHOLDS_LISTED.code, actions.PROPOSALS_LISTED.code)


def read_codes() -> tuple[str, ...]:
    return actions.codes(actions.by_category()[actions.READ])


# --- Filters ----------------------------------------------------------------------------------


@dataclass
class Filters:
    actor: str = ""
    role: str = ""
    code: str = ""  # a registered action (the grouped select)
    category: str = ""
    action: str = ""  # action code contains (finds codes no longer registered)
    object_type: str = ""
    object_id: str = ""
    date_from: str = ""
    date_to: str = ""
    ip: str = ""
    q: str = ""
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, str]:
        """The filters given (for an export's event and for links)."""
        return {k: v for k, v in asdict(self).items() if k != "errors" and v}

    @property
    def filtered(self) -> bool:
        return bool(self.as_dict())


def parse_date(text: str, name: str, errors: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors.append(f"{name}: {text!r} is not a date (use YYYY-MM-DD).")
        return None


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def parse_filters(params: Mapping[str, str]) -> Filters:
    """Filters from GET parameters; bad input becomes a message in ``errors``, never an
    exception. A filter with an error is dropped (the rest still apply)."""
    get = {k: str(params.get(k, "")).strip() for k in Filters.__dataclass_fields__ if k != "errors"}
    f = Filters(**get)
    if f.role and f.role not in ROLES:
        f.errors.append(f"Role: {f.role!r} is not a role.")
        f.role = ""
    if f.code and f.code not in actions.REGISTRY:
        f.errors.append(f"Action: {f.code!r} is not a registered action.")
        f.code = ""
    if f.category and f.category not in actions.CATEGORIES:
        f.errors.append(f"Category: {f.category!r} is not a category.")
        f.category = ""
    if f.object_type and f.object_type not in OBJECT_TYPES:
        f.errors.append(f"Object type: {f.object_type!r} is not one of the listed types.")
        f.object_type = ""
    for name, label in (("date_from", "From"), ("date_to", "To")):
        if parse_date(getattr(f, name), label, f.errors) is None:
            setattr(f, name, "")
    if f.date_from and f.date_to and f.date_from > f.date_to:
        f.errors.append("From is after To: nothing can match; swap them.")
    if f.ip and not _IP_PREFIX_RE.match(f.ip):
        f.errors.append(f"IP: {f.ip!r} is not an address or the start of one.")
        f.ip = ""
    return f


def _actor_q(actor: str) -> Q:
    if actor.isdigit():
        return Q(actor_id=int(actor))
    return Q(actor_label__icontains=actor)


def _ip_q(ip: str) -> Q:
    try:
        return Q(ip=str(ipaddress.ip_address(ip)))
    except ValueError:
        return Q(ip__startswith=ip)


def _window(events: QuerySet, date_from: str, date_to: str) -> QuerySet:
    if date_from:
        events = events.filter(created_at__gte=day_start(dt.date.fromisoformat(date_from)))
    if date_to:
        end = dt.date.fromisoformat(date_to) + dt.timedelta(days=1)
        events = events.filter(created_at__lt=day_start(end))
    return events


def search(f: Filters) -> QuerySet[AuditEvent]:
    """The firm's events matching ``f``, newest first."""
    events = AuditEvent.objects.all()
    if f.actor:
        events = events.filter(_actor_q(f.actor))
    if f.role:
        events = events.filter(role=f.role)
    if f.code:
        events = events.filter(action=f.code)
    if f.action:
        events = events.filter(action__icontains=f.action)
    if f.category:
        events = events.filter(action__in=actions.codes(actions.by_category()[f.category]))
    if f.object_type:
        events = events.filter(object_type__in=OBJECT_TYPES[f.object_type][1])
    if f.object_id:
        events = events.filter(object_id=f.object_id)
    events = _window(events, f.date_from, f.date_to)
    if f.ip:
        events = events.filter(_ip_q(f.ip))
    if f.q:
        labelled = [a.code for a in actions.REGISTRY.values() if f.q.lower() in a.label.lower()]
        events = events.filter(
            Q(action__in=labelled)
            | Q(action__icontains=f.q)
            | Q(object_repr__icontains=f.q)
            | Q(actor_label__icontains=f.q)
        )
    return events.order_by("-created_at", "-seq")


# --- Timeline ---------------------------------------------------------------------------------


def timeline_subject(kind: str, object_id: int) -> str | None:
    """The name of a household, account or user of this firm, or None if it is not one.
    (Other kinds are named from their events.)"""
    if kind == "household":
        return Household.objects.filter(pk=object_id).values_list("name", flat=True).first()
    if kind == "account":
        row = Account.objects.filter(pk=object_id).values_list("name", "account_number").first()
        return f"{row[0]} ({row[1]})" if row else None
    if kind == "user":
        return (
            Membership.objects.filter(user_id=object_id)
            .values_list("user__email", flat=True)
            .first()
        )
    return None


def timeline(kind: str, object_id: int) -> QuerySet[AuditEvent]:
    """Every event about one object, oldest first; for a user also every event they did."""
    about = Q(object_type__in=OBJECT_TYPES[kind][1], object_id=str(object_id))
    if kind == "user":
        about |= Q(actor_id=object_id)
    return AuditEvent.objects.filter(about).order_by("created_at", "seq")


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
    *, actor: str = "", ip: str = "", date_from: str = "", date_to: str = ""
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.filter(action__in=read_codes())
    if actor:
        events = events.filter(_actor_q(actor))
    if ip:
        events = events.filter(_ip_q(ip))
    return _window(events, date_from, date_to).order_by("created_at", "seq")


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


# --- Review queues (from the trail itself) ----------------------------------------------------

AUTHORING = (
    actions.PROPOSAL_CREATED.code,
    actions.PROPOSAL_REFRESHED.code,
    actions.PROPOSAL_TRADE_ADDED.code,
    actions.PROPOSAL_TRADE_EDITED.code,
    actions.PROPOSAL_TRADE_REMOVED.code,
)


@dataclass
class ApprovalRow:
    event: AuditEvent
    author: str
    approver: str
    self_approval: bool
    approver_edited: bool


def approvals(date_from: str, date_to: str) -> list[ApprovalRow]:
    """Proposals approved in the window, with their author (who created them) and flags:
    approved by their author, or by someone who edited them (four eyes overridden or
    below the firm's threshold). Three queries."""
    approved = list(
        _window(
            AuditEvent.objects.filter(action=actions.PROPOSAL_APPROVED.code), date_from, date_to
        ).order_by("-created_at")
    )
    ids = {e.object_id for e in approved}
    authors: dict[str, tuple[int | None, str]] = {}
    editors: dict[str, set[int]] = {}
    for oid, code, actor_id, label in (
        AuditEvent.objects.filter(
            object_type="portfolios.proposal", object_id__in=ids, action__in=AUTHORING
        )
        .order_by("seq")
        .values_list("object_id", "action", "actor_id", "actor_label")
    ):
        if code == actions.PROPOSAL_CREATED.code:
            authors.setdefault(oid, (actor_id, label))
        elif actor_id:
            editors.setdefault(oid, set()).add(actor_id)
    rows = []
    for e in approved:
        author_id, author_label = authors.get(e.object_id, (None, ""))
        rows.append(
            ApprovalRow(
                event=e,
                author=author_label or "—",
                approver=e.actor_label or "—",
                self_approval=author_id is not None and author_id == e.actor_id,
                approver_edited=e.actor_id in editors.get(e.object_id, set()),
            )
        )
    return rows


def releases(date_from: str, date_to: str) -> list[archive.ReleaseRow]:
    """Reports released in the window, with the disclosure versions each carried."""
    start = (
        day_start(dt.date.fromisoformat(date_from))
        if date_from
        else dt.datetime.min.replace(tzinfo=dt.UTC)
    )
    end = (
        day_start(dt.date.fromisoformat(date_to) + dt.timedelta(days=1))
        if date_to
        else dt.datetime.max.replace(tzinfo=dt.UTC)
    )
    return archive.releases_between(start, end)


def failed_logins(date_from: str, date_to: str) -> QuerySet[AuditEvent]:
    return _window(
        AuditEvent.objects.filter(action=actions.LOGIN_FAILED.code), date_from, date_to
    ).order_by("-created_at")


NEW_IP_LOOKBACK = dt.timedelta(days=90)


def new_ip_logins(date_from: str, date_to: str) -> list[AuditEvent]:
    """Sign-ins in the window from an IP the user had not signed in from in the 90 days
    before. One query (the window plus its 90-day lookback)."""
    window = _window(AuditEvent.objects.filter(action=actions.LOGIN.code), "", date_to)
    start = day_start(dt.date.fromisoformat(date_from)) if date_from else None
    if start is not None:
        window = window.filter(created_at__gte=start - NEW_IP_LOOKBACK)
    seen: dict[tuple[int | None, str], dt.datetime] = {}
    out = []
    for event in window.exclude(ip=None).order_by("created_at", "seq"):
        key = (event.actor_id, event.ip)
        last = seen.get(key)
        if (start is None or event.created_at >= start) and (
            last is None or event.created_at - last > NEW_IP_LOOKBACK
        ):
            out.append(event)
        seen[key] = event.created_at
    return list(reversed(out))


def membership_changes(date_from: str, date_to: str) -> QuerySet[AuditEvent]:
    return _window(
        AuditEvent.objects.filter(action__startswith="membership."), date_from, date_to
    ).order_by("-created_at")


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
