"""A firm admin's changes to the people of the firm: role, deactivate, reactivate.

A firm always keeps an active admin: the last one cannot be demoted or deactivated, by
themselves or anyone else. The check locks the firm's active admins' rows with the target's,
so two admins demoting each other at once cannot both succeed.

Deactivating takes away the firm: ``advisory.membership.active_membership`` only finds
active memberships, so from the next request the person cannot open the firm. Their sessions
are ended too when this was their only firm (a person who works for another firm as well
keeps signing in there; their session simply no longer reaches this firm).
"""

from __future__ import annotations

from dataclasses import dataclass

from allauth.usersessions.models import UserSession
from django.db import transaction
from django.db.models import Q

from .. import audit_actions as actions
from ..audit import record
from ..audit_actions import ActionType
from ..membership import firms_of
from ..models import STAFF_ROLES, Firm, Membership, Role, User
from ..tenancy import firm_scope
from .errors import Refused

# Roles an admin may move staff between. A client's access comes from a client invitation
# that links their Client record, so clients are never promoted and staff never demoted to
# clients here.
STAFF_ROLE_VALUES = tuple(str(r) for r in STAFF_ROLES)


@dataclass(frozen=True)
class Locked:
    target: Membership
    other_active_admins: int


def _lock(membership_id: int) -> Locked:
    """Lock the target and every active admin (in id order, so lockers queue, not deadlock)."""
    rows = list(
        Membership.objects.select_for_update()
        .filter(Q(pk=membership_id) | Q(role=Role.ADMIN, is_active=True))
        .select_related("user")
        .order_by("pk")
    )
    target = next((m for m in rows if m.pk == membership_id), None)
    if target is None:
        raise Membership.DoesNotExist
    others = sum(1 for m in rows if m.pk != membership_id and m.role == Role.ADMIN and m.is_active)
    return Locked(target, others)


def _guard_last_admin(locked: Locked, actor: User) -> None:
    target = locked.target
    if target.role == Role.ADMIN and target.is_active and locked.other_active_admins == 0:
        who = "You are" if target.user_id == actor.pk else f"{target.user} is"
        raise Refused(
            f"{who} the firm's last active admin: make someone else an admin first, "
            "so the firm is never left without one."
        )


def _record(firm: Firm, action: ActionType, membership: Membership, changes: dict) -> None:
    record(
        firm=firm,
        action=action,
        obj=membership,
        object_repr=f"{membership.user.get_full_name()} <{membership.user.email}>",
        changes={"user": membership.user_id, **changes},
    )


@transaction.atomic
def change_role(*, firm: Firm, membership_id: int, role: str, actor: User) -> bool:
    """Move a staff member to another staff role; False when it already was that role."""
    if role not in STAFF_ROLE_VALUES:
        raise Refused("Choose a firm admin, advisor or compliance officer role.")
    with firm_scope(firm):
        locked = _lock(membership_id)
        target = locked.target
        if target.role not in STAFF_ROLE_VALUES:
            raise Refused(
                f"{target.user} is a client: client access comes from a client invitation, "
                "and a client login cannot be given a staff role."
            )
        if target.role == role:
            return False
        if role != Role.ADMIN:
            _guard_last_admin(locked, actor)
        before = target.role
        target.role = role
        target.save(update_fields=["role"])
        _record(firm, actions.MEMBERSHIP_ROLE_CHANGED, target, {"role": _change(before, role)})
    return True


@transaction.atomic
def deactivate(*, firm: Firm, membership_id: int, actor: User) -> int:
    """Take the firm away from a member; returns how many of their sessions were ended."""
    with firm_scope(firm):
        locked = _lock(membership_id)
        target = locked.target
        if not target.is_active:
            raise Refused(f"{target.user} is already deactivated.")
        _guard_last_admin(locked, actor)
        target.is_active = False
        target.save(update_fields=["is_active"])
        ended = _end_sessions_if_no_other_firm(target.user)
        _record(
            firm,
            actions.MEMBERSHIP_DEACTIVATED,
            target,
            {"is_active": _change(True, False), "logins_ended": ended},
        )
    return ended


@transaction.atomic
def reactivate(*, firm: Firm, membership_id: int, actor: User) -> None:
    with firm_scope(firm):
        target = _lock(membership_id).target
        if target.is_active:
            raise Refused(f"{target.user} is already active.")
        target.is_active = True
        target.save(update_fields=["is_active"])
        _record(firm, actions.MEMBERSHIP_REACTIVATED, target, {"is_active": _change(False, True)})


def _end_sessions_if_no_other_firm(user: User) -> int:
    if firms_of(user) or user.is_staff:  # still works elsewhere, or a platform operator
        return 0
    sessions = list(UserSession.objects.filter(user=user))
    for session in sessions:
        session.end()
    return len(sessions)


def _change(before: object, after: object) -> dict[str, object]:
    return {"before": before, "after": after}
