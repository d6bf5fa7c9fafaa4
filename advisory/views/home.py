"""Each role's home page."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from portfolios import queries as portfolio

from .. import audit_actions as actions
from ..access import households_for, member_required
from ..audit import record
from ..models import AuditEvent, Household, Role


@require_safe
@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = getattr(request, "membership", None)
    if membership is None:
        # A platform operator who belongs to no firm starts on the operator's firm list.
        if request.user.is_staff:
            return redirect("operator_firms")
        raise PermissionDenied("You are not a member of any firm.")
    role = membership.role
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
    """The advisor's book, worst drift first, from the latest drift snapshots, a page at a time.

    A fixed number of queries whatever the number of households. The whole book
    is sorted and counted from light rows (ids, names, status, worst drift,
    value); households and snapshots are loaded in full only for the page shown.
    """
    membership = request.membership
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    book = households_for(membership)
    if query:
        book = book.filter(name__icontains=query)
    as_of = portfolio.latest_drift_date()
    keys = _sorted_keys(book, as_of)
    if status:
        keys = [k for k in keys if k.status == status]
    counts = Counter(k.status for k in keys)  # of what is listed, as the footer says
    page = Paginator(keys, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    page_ids = [k.household_id for k in page.object_list]
    households = {
        h.pk: h
        for h in Household.objects.filter(pk__in=page_ids)
        .select_related("primary_advisor__user", "model")
        .annotate(n_accounts=Count("accounts"))
    }
    snapshots = portfolio.household_snapshots(page_ids, as_of)
    labels = portfolio.BucketLabels()
    rows = [
        {
            "household": households[k.household_id],
            "snapshot": snapshots.get(k.household_id),
            "status": k.status,
            "worst": labels(snapshots[k.household_id].worst_bucket)
            if k.household_id in snapshots
            else "",
        }
        for k in page.object_list
        if k.household_id in households
    ]
    # The day's proposal work, above the book: what waits on this user's approval and every
    # open proposal of the book (the whole book, not the search: it is a to-do list).
    # An htmx search or page swap redraws the table alone: no panels to read.
    partial = bool(request.htmx and not request.htmx.history_restore_request)
    whole_book = households_for(membership)
    awaiting = (
        portfolio.awaiting_approval(request.user, whole_book)
        if membership.can_write and not partial
        else []
    )
    open_list = [] if partial else portfolio.open_proposals(whole_book)
    context = {
        "awaiting": awaiting,
        "open_proposals": open_list,
        "rows": rows,
        "page": page,
        "shown": len(keys),
        "as_of": as_of,
        "query": query,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "counts": counts,
        "book_value": sum((k.market_value for k in keys if k.market_value is not None), 0),
        "scope_label": "All households in the firm"
        if membership.sees_whole_firm
        else "Your households",
    }
    record(
        firm=request.firm,
        action=actions.HOUSEHOLDS_LISTED.code,
        object_repr="Household list",
        changes=_listed(rows, page.number, [*awaiting, *open_list]),
    )
    template = "advisory/advisor_home.html"
    if partial:
        template += "#household-table"
    return render(request, template, context)


HOME_PAGE_SIZE = 100


def _listed(rows: list[dict], page: int, proposals: list) -> dict:
    """What the home page showed, for who-saw-what: the page's households, then those named
    only in the proposal panels, and the proposals' ids."""
    ids = [row["household"].pk for row in rows]
    ids += sorted({p.household_id for p in proposals} - set(ids))
    return {
        "household_ids": ids,
        "page": page,
        "proposal_ids": sorted({p.pk for p in proposals}),
    }


@dataclass(frozen=True)
class _Key:
    household_id: int
    name: str
    status: str
    worst_abs_drift: Decimal | None
    market_value: Decimal | None

    def order(self) -> tuple:
        return (
            portfolio.STATUS_ORDER.get(self.status, 9),
            -abs(self.worst_abs_drift or 0),
            self.name,
            self.household_id,
        )


def _sorted_keys(book: QuerySet[Household], as_of: dt.date | None) -> list[_Key]:
    """Every household of the book with what sorting and counting need, worst first."""
    snaps = portfolio.household_drift_keys(book, as_of)
    keys = []
    for pk, name in book.values_list("pk", "name"):
        snap_status, worst, value = snaps.get(pk, portfolio.NOT_COMPUTED)
        keys.append(_Key(pk, name, snap_status, worst, value))
    keys.sort(key=_Key.order)
    return keys


@member_required(Role.COMPLIANCE, Role.ADMIN)
def compliance_home(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-seq")[:15]
    stats = AuditEvent.objects.aggregate(
        total=Count("pk"),
        logins=Count("pk", filter=Q(action=actions.LOGIN.code)),
        failed=Count("pk", filter=Q(action=actions.LOGIN_FAILED.code)),
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
