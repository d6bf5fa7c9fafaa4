"""What each membership may see. "Hidden" looks exactly like "missing" (404).

Advisors see the households they are primary on or on the team of; firm
admins and compliance see the whole firm; clients see their own household.
All of it runs inside the firm scope, so another firm's ids never match.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from .models import Account, Client, Household, HouseholdTeamMember, Membership, Role


def households_for(membership: Membership) -> QuerySet[Household]:
    households = Household.objects.all()
    if membership.sees_whole_firm:
        return households
    if membership.role == Role.ADVISOR:
        on_team = HouseholdTeamMember.objects.filter(
            household=OuterRef("pk"), membership=membership
        )
        return households.filter(Q(primary_advisor=membership) | Q(Exists(on_team)))
    if membership.role == Role.CLIENT:
        own = Client.objects.filter(household=OuterRef("pk"), user=membership.user_id)
        return households.filter(Exists(own))
    return households.none()


def accounts_for(membership: Membership) -> QuerySet[Account]:
    return Account.objects.filter(household__in=households_for(membership))


def get_household_for(membership: Membership, household_id: int) -> Household:
    try:
        return (
            households_for(membership)
            .select_related("primary_advisor__user", "model")
            .get(pk=household_id)
        )
    except Household.DoesNotExist:
        raise Http404("No such household.") from None


def get_account_for(membership: Membership, account_id: int) -> Account:
    try:
        return accounts_for(membership).select_related("household", "model").get(pk=account_id)
    except Account.DoesNotExist:
        raise Http404("No such account.") from None


View = Callable[..., HttpResponse]


def member_required(*roles: str, write: bool = False) -> Callable[[View], View]:
    """Require a firm membership (optionally one of ``roles``).

    With ``write=True`` only roles that may change data pass for unsafe
    methods: compliance and clients get 403 on POST.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = getattr(request, "membership", None)
            if membership is None:
                raise PermissionDenied("You are not a member of any firm.")
            if roles and membership.role not in roles:
                raise PermissionDenied("Your role cannot open this page.")
            if write and request.method not in ("GET", "HEAD") and not membership.can_write:
                raise PermissionDenied("Your role is read-only.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
