"""Each role's home page."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from portfolios.drift_queries import STATUS_ORDER, BucketLabels, latest_as_of, snapshots_by_subject

from ..access import households_for, member_required
from ..models import AuditEvent, Role


@member_required()
def home(request: HttpRequest) -> HttpResponse:
    role = request.membership.role
    if role == Role.CLIENT:
        return redirect("portal")
    if role == Role.COMPLIANCE:
        return redirect("compliance_home")
    return advisor_home(request)


STATUS_FILTERS = {
    "breached": "Breached",
    "incomplete": "Incomplete",
    "in_band": "In band",
    "no_model": "No model",
    "not_computed": "Not computed",
}


def advisor_home(request: HttpRequest) -> HttpResponse:
    """The advisor's book, worst drift first, from the latest drift snapshots.

    A fixed number of queries whatever the number of households: the
    households, the snapshot date, the snapshots, and the bucket names.
    """
    membership = request.membership
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    households = (
        households_for(membership)
        .select_related("primary_advisor__user", "model")
        .annotate(n_accounts=Count("accounts"))
        .order_by("name")
    )
    if query:
        households = households.filter(name__icontains=query)
    households = list(households)
    as_of = latest_as_of()
    snapshots = snapshots_by_subject("household", [h.pk for h in households], as_of)
    labels = BucketLabels()
    rows = []
    for h in households:
        snap = snapshots.get(h.pk)
        row_status = snap.status if snap else "not_computed"
        if status and row_status != status:
            continue
        rows.append(
            {
                "household": h,
                "snapshot": snap,
                "status": row_status,
                "worst": labels(snap.worst_bucket) if snap else "",
            }
        )
    rows.sort(
        key=lambda r: (
            STATUS_ORDER.get(r["status"], 9),
            -abs(r["snapshot"].worst_abs_drift or 0) if r["snapshot"] else 0,
            r["household"].name,
        )
    )
    counts = Counter(r["status"] for r in rows)
    context = {
        "rows": rows,
        "as_of": as_of,
        "query": query,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "counts": counts,
        "book_value": sum((r["snapshot"].market_value for r in rows if r["snapshot"]), 0),
        "scope_label": "All households in the firm"
        if membership.sees_whole_firm
        else "Your households",
    }
    template = "advisory/advisor_home.html"
    if request.htmx and not request.htmx.history_restore_request:
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
