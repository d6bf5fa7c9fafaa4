"""The compliance workspace's filters: object kinds, roles, dates and the parsing of a search's
query string (bad input is a message, never a 500)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from django.db.models import Q, QuerySet

from .. import audit_actions as actions
from ..models import ApiToken

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
IP_PREFIX_RE = re.compile(r"^[0-9a-fA-F:.]+$")
LIST_ACTIONS = (
    actions.HOUSEHOLDS_LISTED.code,
    actions.PROPOSALS_LISTED.code,
    # Issue 13: the API's lists of accounts and clients name their households too.
    actions.ACCOUNTS_LISTED.code,
    actions.CLIENTS_LISTED.code,
)


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
    if f.ip and not IP_PREFIX_RE.match(f.ip):
        f.errors.append(f"IP: {f.ip!r} is not an address or the start of one.")
        f.ip = ""
    return f


def actor_q(actor: str) -> Q:
    if actor.isdigit():
        return Q(actor_id=int(actor))
    return Q(actor_label__icontains=actor)


def ip_q(ip: str) -> Q:
    try:
        return Q(ip=str(ipaddress.ip_address(ip)))
    except ValueError:
        return Q(ip__startswith=ip)


def in_window(events: QuerySet, date_from: str, date_to: str) -> QuerySet:
    if date_from:
        events = events.filter(created_at__gte=day_start(dt.date.fromisoformat(date_from)))
    if date_to:
        end = dt.date.fromisoformat(date_to) + dt.timedelta(days=1)
        events = events.filter(created_at__lt=day_start(end))
    return events


# --- API token (issue 13) ---------------------------------------------------------------------


def parse_token(text: str, errors: list[str]) -> int | None:
    """An API token named by its id or its prefix (``blt_…``, as the tokens page lists it):
    its id, or None (and a message) when this firm has no such token."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit() and len(text) < 19:
        found = ApiToken.objects.filter(pk=int(text)).values_list("pk", flat=True).first()
    else:
        found = ApiToken.objects.filter(prefix=text[:16]).values_list("pk", flat=True).first()
    if found is None:
        errors.append(f"Token: {text[:40]!r} is not one of this firm's API tokens.")
    return found
