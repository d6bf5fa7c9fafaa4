"""Each role's home page."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portfolios.valuation import pricing_date, value_accounts

from ..access import households_for, member_required
from ..models import Account, AuditEvent, Role


@member_required()
def home(request: HttpRequest) -> HttpResponse:
    role = request.membership.role
    if role == Role.CLIENT:
        return redirect("portal")
    if role == Role.COMPLIANCE:
        return redirect("compliance_home")
    return advisor_home(request)


def advisor_home(request: HttpRequest) -> HttpResponse:
    """The advisor's book: their households with value and account counts."""
    membership = request.membership
    households = list(
        households_for(membership)
        .select_related("primary_advisor__user", "model")
        .annotate(n_accounts=Count("accounts"))
        .order_by("name")
    )
    query = request.GET.get("q", "").strip()
    if query:
        households = [h for h in households if query.lower() in h.name.lower()]
    accounts = Account.objects.filter(household__in=[h.pk for h in households]).only(
        "pk", "household_id", "cash_balance"
    )
    as_of = pricing_date()
    valuations = value_accounts(accounts, as_of)
    totals: dict[int, dict] = {h.pk: {"value": 0, "incomplete": []} for h in households}
    for account in accounts:
        v = valuations[account.pk]
        totals[account.household_id]["value"] += v.total
        totals[account.household_id]["incomplete"] += v.unpriced_symbols
    rows = [
        {
            "household": h,
            "value": totals[h.pk]["value"],
            "incomplete": sorted(set(totals[h.pk]["incomplete"])),
        }
        for h in households
    ]
    context = {
        "rows": rows,
        "as_of": as_of,
        "query": query,
        "book_value": sum((r["value"] for r in rows), 0),
        "scope_label": "All households in the firm"
        if membership.sees_whole_firm
        else "Your households",
    }
    template = "advisory/advisor_home.html"
    if request.htmx:
        template += "#household-table"
    return render(request, template, context)


@member_required(Role.COMPLIANCE, Role.ADMIN)
def compliance_home(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-seq")[:15]
    stats = AuditEvent.objects.aggregate(
        total=Count("pk"),
        logins=Count("pk", filter=Q(action="auth.login")),
        failed=Count("pk", filter=Q(action="auth.login_failed")),
    )
    return render(
        request,
        "advisory/compliance_home.html",
        {
            "events": events,
            "stats": stats,
            "household_count": households_for(request.membership).count(),
        },
    )
