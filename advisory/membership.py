"""Finding the membership (firm and role) a logged-in user acts under."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef
from django_scopes import scopes_disabled

from .models import Firm, Membership
from .tenancy import firm_scope

if TYPE_CHECKING:
    from .models import User


def firms_of(user: User) -> list[Firm]:
    """Firms in which ``user`` has an active membership.

    Looking across firms is needed only here, and only for the user's own
    membership rows: the unscoped base manager inside an ``Exists``, read with
    scopes disabled so that PostgreSQL's row-level security (advisory/db_security)
    lets this one query see the user's memberships in every firm.
    """
    own = Membership._base_manager.filter(firm=OuterRef("pk"), user=user, is_active=True)
    with scopes_disabled():
        return list(Firm.objects.filter(Exists(own)).order_by("pk"))


def active_membership(user: User, firm_id: int | None = None) -> Membership | None:
    """The user's active membership in ``firm_id``, or else in their first firm."""
    firms = firms_of(user)
    chosen = next((f for f in firms if f.pk == firm_id), None) if firm_id else None
    firm = chosen or (firms[0] if firms else None)
    if firm is None:
        return None
    with firm_scope(firm):
        return (
            Membership.objects.select_related("firm", "user")
            .filter(user=user, is_active=True)
            .first()
        )
