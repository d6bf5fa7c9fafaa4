"""The audit search and the per-object timeline. Everything runs in the active firm scope
(``AuditEvent`` is firm-owned), so another firm's events never match.

Query shapes (for indexes): firm + created_at range (with action IN, actor, ip); firm +
object_type + object_id (timelines); firm + actor + created_at (who saw what, logins).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .. import audit_actions as actions
from ..models import Account, AuditEvent, Household, Membership
from .filters import (
    OBJECT_TYPES,
    Filters,
    actor_q,
    in_window,
    ip_q,
)


def search(f: Filters) -> QuerySet[AuditEvent]:
    """The firm's events matching ``f``, newest first."""
    events = AuditEvent.objects.all()
    if f.actor:
        events = events.filter(actor_q(f.actor))
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
    events = in_window(events, f.date_from, f.date_to)
    if f.ip:
        events = events.filter(ip_q(f.ip))
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
