"""Review queues for a period, read from the trail itself (and the report archive's door for
releases): approvals, releases, failed and new-address sign-ins, lockouts, membership changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from reports import queries as archive

from .. import audit_actions as actions
from ..models import AuditEvent
from .filters import (
    day_start,
    in_window,
)

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
        in_window(
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
    return in_window(
        AuditEvent.objects.filter(action=actions.LOGIN_FAILED.code), date_from, date_to
    ).order_by("-created_at")


def lockouts(date_from: str, date_to: str) -> QuerySet[AuditEvent]:
    """Sign-in locks started (repeated failures) and lifted early (reset, unlock)."""
    return in_window(
        AuditEvent.objects.filter(action__in=(actions.LOCKED_OUT.code, actions.LOCKOUT_ENDED.code)),
        date_from,
        date_to,
    ).order_by("-created_at")


NEW_IP_LOOKBACK = dt.timedelta(days=90)


def new_ip_logins(date_from: str, date_to: str) -> list[AuditEvent]:
    """Sign-ins in the window from an IP the user had not signed in from in the 90 days
    before. One query (the window plus its 90-day lookback)."""
    window = in_window(AuditEvent.objects.filter(action=actions.LOGIN.code), "", date_to)
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
    return in_window(
        AuditEvent.objects.filter(action__startswith="membership."), date_from, date_to
    ).order_by("-created_at")
