"""Household and account pages: holdings valued at the latest prices."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portfolios.charts import band_chart, history_chart
from portfolios.drift.queries import (
    BucketLabels,
    band_bars,
    history_series,
    latest_as_of,
    snapshots_by_subject,
)
from portfolios.drift.snapshots import bucket_dicts
from portfolios.models import DriftSnapshot
from portfolios.valuation import allocation_by_class, pricing_date, value_accounts

from ..access import get_account_for, get_household_for, households_for, member_required
from ..audit import record
from ..forms import AccountForm, HouseholdForm
from ..models import Household, Role
from ..services import save_audited

HISTORY_POINTS = 24


@member_required()
def household_detail(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    accounts = list(household.accounts.select_related("model").order_by("name"))
    as_of = pricing_date()
    valuations = value_accounts(accounts, as_of)
    rows = [(a, valuations[a.pk]) for a in accounts]
    record(firm=request.firm, action="household.viewed", obj=household)
    drift = household_drift(household, [a.pk for a in accounts])
    return render(
        request,
        "advisory/household_detail.html",
        {
            "household": household,
            "rows": rows,
            "as_of": as_of,
            "total": sum((v.total for v in valuations.values()), 0),
            "incomplete": sorted({s for v in valuations.values() for s in v.unpriced_symbols}),
            "allocation": allocation_by_class(valuations.values()),
            "clients": household.clients.all(),
            "team": household.team.select_related("user"),
            "can_edit": request.membership.can_write,
            **drift,
        },
    )


def household_drift(household: Household, account_ids: list[int]) -> dict:
    """The household's latest drift against its model, its accounts' and its history."""
    as_of = latest_as_of()
    snapshot = snapshots_by_subject("household", [household.pk], as_of).get(household.pk)
    if snapshot is not None:
        snapshot.refresh_from_db(fields=["buckets"])
    labels = BucketLabels()
    recent = list(  # newest first
        DriftSnapshot.objects.filter(kind="household", subject_id=household.pk)
        .order_by("-as_of")
        .only("as_of", "status", "buckets", "worst_bucket", "worst_abs_drift", "market_value")[
            :HISTORY_POINTS
        ]
    )
    return {
        "drift": snapshot,
        "drift_worst": labels(snapshot.worst_bucket) if snapshot else "",
        "drift_chart": band_chart(band_bars(snapshot, labels)) if snapshot else "",
        "drift_rows": [{**b, "label": labels(b["bucket"])} for b in bucket_dicts(snapshot.buckets)]
        if snapshot
        else [],
        "account_drift": snapshots_by_subject("account", account_ids, as_of),
        "history": [(snap, labels(snap.worst_bucket)) for snap in recent],
        "history_chart": history_chart(history_series(recent, labels)),
    }


@member_required()
def portal(request: HttpRequest) -> HttpResponse:
    """A client's landing page: their household, or a note if none is linked."""
    household = households_for(request.membership).first()
    if household is not None:
        return redirect("household_detail", household_id=household.pk)
    return render(request, "advisory/portal_empty.html", status=200)


@member_required()
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for(request.membership, account_id)
    as_of = pricing_date()
    valuation = value_accounts([account], as_of)[account.pk]
    lots = account.lots.select_related("security").order_by("security__symbol", "acquired_on")
    record(firm=request.firm, action="account.viewed", obj=account)
    return render(
        request,
        "advisory/account_detail.html",
        {
            "account": account,
            "valuation": valuation,
            "as_of": as_of,
            "lots": lots,
            "allocation": allocation_by_class([valuation]),
            "can_edit": request.membership.can_write,
            "can_propose": request.membership.role in (Role.ADMIN, Role.ADVISOR)
            and account.model_id is not None
            and not account.held_away,
        },
    )


@member_required(Role.ADMIN, Role.ADVISOR, write=True)
def household_edit(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    form = HouseholdForm(request.POST or None, instance=household)
    if request.method == "POST" and form.is_valid():
        if save_audited(firm=request.firm, instance=form.instance, fields=form.changed_data):
            messages.success(request, "Household saved.")
        return redirect("household_detail", household_id=household.pk)
    return render(request, "advisory/edit_form.html", {"form": form, "object": household})


@member_required(Role.ADMIN, Role.ADVISOR, write=True)
def account_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for(request.membership, account_id)
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        if save_audited(firm=request.firm, instance=form.instance, fields=form.changed_data):
            messages.success(request, "Account saved.")
        return redirect("account_detail", account_id=account.pk)
    return render(request, "advisory/edit_form.html", {"form": form, "object": account})
