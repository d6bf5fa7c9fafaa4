"""Account security events on the audit trail: recorded on the chain of every firm the user
belongs to (a user is one person across firms); an address nobody owns is logged only, so
the trail never says whether an address exists."""

from __future__ import annotations

import logging
from typing import Any

from .audit import record
from .audit_actions import ActionType
from .membership import firms_of
from .models import User
from .request_context import acting_as

security_log = logging.getLogger("ballast.security")


def user_with_address(email: str) -> User | None:
    email = email.strip().lower()
    return User.objects.filter(email=email).first() if email else None


def record_for_user(
    user: User,
    action: ActionType,
    *,
    by_user: bool = True,
    changes: dict[str, Any] | None = None,
) -> int:
    """Append ``action`` about ``user`` to each of their firms' chains; returns how many.

    ``by_user=False`` for what an anonymous party did with the address (failed sign-ins,
    locks): no actor, the address as the label, no role.
    """
    firms = list(firms_of(user))
    who = {"actor": user} if by_user else {"actor": None, "role": ""}
    for firm in firms:
        with acting_as(actor_label=user.email, **who):
            record(firm=firm, action=action, obj=user, object_repr=user.email, changes=changes)
    return len(firms)


def record_for_address(
    email: str, action: ActionType, *, changes: dict[str, Any] | None = None
) -> None:
    """What someone did with an address at the sign-in form: audited for a known user,
    logged for an unknown address."""
    user = user_with_address(email)
    if user is None:
        security_log.warning("%s for unknown address %r %s", action.code, email[:254], changes)
        return
    record_for_user(user, action, by_user=False, changes=changes)
