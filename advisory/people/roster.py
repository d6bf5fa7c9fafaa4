"""What the people page shows: each member with their role, status, second factor and last
sign-in, in a fixed number of queries. Call inside the firm scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from allauth.mfa.models import Authenticator

from ..mfa.policy import SECOND_FACTORS
from ..models import Membership, Role


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    mfa_enrolled: bool
    last_login: dt.datetime | None
    # The firm's only active admin: the page offers no demotion or deactivation.
    last_admin: bool

    @property
    def is_client(self) -> bool:
        return self.membership.role == Role.CLIENT


def member_rows() -> list[MemberRow]:
    """Staff first (admins, advisors, compliance), then clients; active before deactivated."""
    members = list(Membership.objects.select_related("user"))
    enrolled = set(
        Authenticator.objects.filter(
            user_id__in=[m.user_id for m in members], type__in=SECOND_FACTORS
        ).values_list("user_id", flat=True)
    )
    active_admins = [m for m in members if m.role == Role.ADMIN and m.is_active]
    order = {role: i for i, role in enumerate(Role.values)}
    members.sort(
        key=lambda m: (
            m.role == Role.CLIENT,
            not m.is_active,
            order.get(m.role, 9),
            (m.user.full_name or m.user.email).lower(),
        )
    )
    return [
        MemberRow(
            membership=m,
            mfa_enrolled=m.user_id in enrolled,
            last_login=m.user.last_login,
            last_admin=len(active_admins) == 1 and active_admins[0].pk == m.pk,
        )
        for m in members
    ]
