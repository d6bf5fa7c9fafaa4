"""Restriction pages: the firm's do-not-buy / do-not-sell lists, and each household's.

Admins and advisors add and lift (an advisor only for the households they advise; firm-wide
ones too); compliance reads; clients never see these pages. Another firm's restriction, or
a household the person cannot see, is a 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from advisory.access import get_household_for, households_for, member_required
from advisory.models import Household, Membership, Role
from portfolios.models import Restriction, RestrictionSide
from portfolios.restrictions.lists import (
    MAX_REASON,
    RestrictionError,
    add_restriction,
    lift_restriction,
)

STAFF = (Role.ADMIN, Role.ADVISOR, Role.COMPLIANCE)
SCOPES = {"firm": "Firm-wide", "household": "Household", "account": "Account"}


class RestrictionForm(forms.Form):
    symbol = forms.CharField(max_length=12, label="Security symbol")
    side = forms.ChoiceField(choices=RestrictionSide.choices, label="Restriction")
    reason = forms.CharField(max_length=MAX_REASON, widget=forms.TextInput())
    expires_on = forms.DateField(
        required=False,
        label="Last day",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: until lifted.",
    )

    def __init__(self, *args: Any, applies_to: list[tuple[str, str]] | None = None, **kw: Any):
        super().__init__(*args, **kw)
        if applies_to:
            self.fields["applies_to"] = forms.ChoiceField(choices=applies_to, label="Applies to")
            self.order_fields(["applies_to"])


class LiftForm(forms.Form):
    reason = forms.CharField(max_length=MAX_REASON, label="Why lift it")


def _visible(membership: Membership) -> QuerySet[Restriction]:
    """Firm-wide ones and those of the households the person may see."""
    households = households_for(membership)
    return Restriction.objects.filter(
        Q(household__isnull=True, account__isnull=True)
        | Q(household__in=households)
        | Q(account__household__in=households)
    ).select_related("security", "household", "account", "created_by", "lifted_by")


def _status(r: Restriction, today: dt.date) -> str:
    if r.lifted_at is not None:
        return "lifted"
    return "in force" if r.in_force(today) else "expired"


def _rows(restrictions: QuerySet[Restriction], today: dt.date) -> list[dict[str, Any]]:
    rows = [{"r": r, "status": _status(r, today)} for r in restrictions]
    order = {"in force": 0, "expired": 1, "lifted": 2}
    return sorted(rows, key=lambda row: order[row["status"]])


@member_required(*STAFF, write=True)
def restriction_list(request: HttpRequest) -> HttpResponse:
    """Every restriction the person may see, filtered by scope; adds firm-wide ones."""
    membership = request.membership  # type: ignore[attr-defined]
    today = timezone.localdate()
    form = RestrictionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_restriction(
                firm=membership.firm_id,
                actor=membership.user,
                **_fields(form),
            )
        except RestrictionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"{form.cleaned_data['symbol'].upper()} restricted firm-wide."
            )
            return redirect("restrictions")
    scope = request.GET.get("scope", "")
    restrictions = _visible(membership)
    if scope == "firm":
        restrictions = restrictions.filter(household__isnull=True, account__isnull=True)
    elif scope == "household":
        restrictions = restrictions.filter(household__isnull=False)
    elif scope == "account":
        restrictions = restrictions.filter(account__isnull=False)
    else:
        scope = ""
    return render(
        request,
        "portfolios/restrictions/list.html",
        {
            "rows": _rows(restrictions, today),
            "form": form,
            "scope": scope,
            "scopes": SCOPES,
            "heading": f"{SCOPES[scope]} restrictions" if scope else "All restrictions",
            "can_edit": membership.can_write,
            "lift_form": LiftForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required(*STAFF, write=True)
def household_restrictions(request: HttpRequest, household_id: int) -> HttpResponse:
    """The household's own restrictions and its accounts', the firm-wide ones that apply,
    and a form to add one for the household or one of its accounts."""
    membership = request.membership  # type: ignore[attr-defined]
    household = get_household_for(membership, household_id)
    today = timezone.localdate()
    accounts = list(household.accounts.order_by("name", "pk"))
    applies_to = [("household", f"The whole household ({household.name})")] + [
        (f"account-{a.pk}", f"Account {a.name}") for a in accounts
    ]
    form = RestrictionForm(request.POST or None, applies_to=applies_to)
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["applies_to"]
        account = next((a for a in accounts if target == f"account-{a.pk}"), None)
        try:
            add_restriction(
                firm=membership.firm_id,
                actor=membership.user,
                household=household if account is None else None,
                account=account,
                **_fields(form),
            )
        except RestrictionError as exc:
            form.add_error(None, str(exc))
        else:
            where = account.name if account else household.name
            messages.success(
                request, f"{form.cleaned_data['symbol'].upper()} restricted in {where}."
            )
            return redirect("household_restrictions", household_id=household.pk)
    own = Restriction.objects.filter(
        Q(household=household) | Q(account__household=household)
    ).select_related("security", "household", "account", "created_by", "lifted_by")
    firm_wide = Restriction.objects.filter(
        household__isnull=True, account__isnull=True
    ).select_related("security")
    return render(
        request,
        "portfolios/restrictions/household.html",
        {
            "household": household,
            "rows": _rows(own, today),
            "firm_rows": [row for row in _rows(firm_wide, today) if row["status"] == "in force"],
            "form": form,
            "can_edit": membership.can_write,
            "lift_form": LiftForm(),
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required(*STAFF, write=True)  # first: an anonymous visitor is sent to sign in
@require_POST
def lift(request: HttpRequest, restriction_id: int) -> HttpResponse:
    """Lift one restriction with a reason; back to the page it was lifted from."""
    membership = request.membership  # type: ignore[attr-defined]
    restriction = _visible(membership).filter(pk=restriction_id).first()
    if restriction is None:
        raise Http404("No such restriction.")
    household: Household | None = restriction.household
    if restriction.account is not None:
        household = restriction.account.household
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for lifting the restriction.")
    else:
        try:
            lift_restriction(
                firm=membership.firm_id,
                actor=membership.user,
                restriction=restriction,
                reason=form.cleaned_data["reason"],
            )
        except RestrictionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Lifted: {restriction}.")
    if household is not None and request.POST.get("back") == "household":
        return redirect("household_restrictions", household_id=household.pk)
    return redirect("restrictions")


def _fields(form: RestrictionForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "symbol": data["symbol"],
        "side": data["side"],
        "reason": data["reason"],
        "expires_on": data.get("expires_on"),
    }
