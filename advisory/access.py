"""What each membership may see. "Hidden" looks exactly like "missing" (404).

Advisors see the households they are primary on or on the team of; firm
admins and compliance see the whole firm; clients see their own household, and
of its accounts those they own, or all of them when the firm shares households
(``Firm.portal_shares_household``). All of it runs inside the firm scope, so
another firm's ids never match.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from .models import (
    Account,
    AccountOwner,
    Client,
    Household,
    HouseholdTeamMember,
    Membership,
    Role,
)


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
    accounts = Account.objects.filter(household__in=households_for(membership))
    if membership.role != Role.CLIENT or membership.firm.portal_shares_household:
        return accounts
    owned = AccountOwner.objects.filter(account=OuterRef("pk"), client__user=membership.user_id)
    return accounts.filter(Exists(owned))


def sees_whole_household(membership: Membership, household: Household) -> bool:
    """Whether the membership may see all of a household it can open, household-wide
    reports included: staff always; a client when the firm shares households or when they
    own every account of it (a report shows every account)."""
    if membership.role != Role.CLIENT or membership.firm.portal_shares_household:
        return True
    return not household.accounts.exclude(pk__in=accounts_for(membership)).exists()


def clients_seeing_household(household: Household) -> list[Client]:
    """The household's clients who can sign in to the portal and see all of it: those a
    household report may be shown (and announced) to. Four queries at most."""
    clients = list(
        household.clients.filter(
            user__isnull=False,
            user__is_active=True,
            user__memberships__firm_id=household.firm_id,
            user__memberships__role=Role.CLIENT,
            user__memberships__is_active=True,
        ).select_related("user")
    )
    if household.firm.portal_shares_household:
        return clients
    owners: dict[int, set[int]] = {}
    for account_id, client_id in AccountOwner.objects.filter(
        account__household=household
    ).values_list("account_id", "client_id"):
        owners.setdefault(account_id, set()).add(client_id)
    every = set(household.accounts.values_list("pk", flat=True))
    return [c for c in clients if all(c.pk in owners.get(a, ()) for a in every)]


def batches_visible_to(membership: Membership, batches: QuerySet[Any]) -> QuerySet[Any]:
    """Of a firm's batches (drift proposals, reports, …: models with ``requested_by``), those a
    membership sees: firm admins and compliance every one, anyone else their own."""
    if membership.sees_whole_firm or membership.role == Role.COMPLIANCE:
        return batches
    return batches.filter(requested_by=membership.user_id)


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
