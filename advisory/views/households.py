"""Household and account pages for the firm's staff: holdings valued at the latest prices.
Clients have their own pages (:mod:`advisory.portal`)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portfolios import queries as portfolio
from reports import queries as archive

from .. import audit_actions as actions
from ..access import get_account_for, get_household_for, member_required
from ..audit import record
from ..forms import AccountForm, HouseholdForm
from ..models import ADVISING_ROLES, STAFF_ROLES
from ..people.errors import Refused
from ..people.owners import set_account_owners
from ..services import save_audited


@member_required(*STAFF_ROLES)
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    accounts = list(
        household.accounts.select_related("model").prefetch_related("owners").order_by("name")
    )
    as_of = portfolio.pricing_date()
    valuations = portfolio.value_accounts(accounts, as_of)
    rows = [(a, valuations[a.pk]) for a in accounts]
    record(firm=request.firm, action=actions.HOUSEHOLD_VIEWED.code, obj=household)
    drift = portfolio.household_drift(household.pk, [a.pk for a in accounts])
    return render(
        request,
        "advisory/household_detail.html",
        {
            "household": household,
            "rows": rows,
            "as_of": as_of,
            "total": sum((v.total for v in valuations.values()), 0),
            "incomplete": sorted({s for v in valuations.values() for s in v.unpriced_symbols}),
            "allocation": portfolio.allocation_by_class(valuations.values()),
            "clients": household.clients.all(),
            "team": household.team.select_related("user"),
            "can_edit": request.membership.can_write,
            "reports": archive.household_reports(household),
            "can_report": request.membership.role in ADVISING_ROLES,
            "report_period": archive.default_report_month(request.firm.pk),
            **drift,
        },
    )


@member_required(*STAFF_ROLES)
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for(request.membership, account_id)
    as_of = portfolio.pricing_date()
    valuation = portfolio.value_accounts([account], as_of)[account.pk]
    lots = account.lots.select_related("security").order_by("security__symbol", "acquired_on")
    record(firm=request.firm, action=actions.ACCOUNT_VIEWED.code, obj=account)
    return render(
        request,
        "advisory/account_detail.html",
        {
            "account": account,
            "valuation": valuation,
            "as_of": as_of,
            "lots": lots,
            "allocation": portfolio.allocation_by_class([valuation]),
            "can_edit": request.membership.can_write,
            "can_propose": request.membership.can_write
            and account.model_id is not None
            and not account.held_away,
        },
    )


@member_required(*ADVISING_ROLES, write=True)
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    form = HouseholdForm(request.POST or None, instance=household)
    if request.method == "POST" and form.is_valid():
        if save_audited(firm=request.firm, instance=form.instance, fields=form.changed_data):
            messages.success(request, "Household saved.")
        return redirect("household_detail", household_id=household.pk)
    return render(request, "advisory/edit_form.html", {"form": form, "object": household})


@member_required(*ADVISING_ROLES, write=True)
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for(request.membership, account_id)
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                fields = form.account_fields_changed()
                saved = save_audited(firm=request.firm, instance=form.instance, fields=fields)
                owners = set_account_owners(
                    firm=request.firm, account=account, clients=form.cleaned_data["owners"]
                )
        except Refused as exc:
            form.add_error("owners", str(exc))
        else:
            if saved or owners:
                messages.success(request, "Account saved.")
            return redirect("account_detail", account_id=account.pk)
    return render(request, "advisory/edit_form.html", {"form": form, "object": account})
