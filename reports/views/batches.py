"""Report batches: "reports for my book" (advisors) or "for the firm" (admins) for a month,
their progress and results.

Each household runs as a Celery task (:func:`reports.tasks.generate_household_report`); the
detail page polls a progress partial with htmx and stops with 286 when the batch has ended.
Without JavaScript the page says to reload.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling

from advisory.access import batches_visible_to, member_required
from advisory.models import ADVISING_ROLES, STAFF_ROLES

from ..batches import ReportBatchError, outcome_counts, start_batch
from ..models import ReportBatch, ReportBatchScope, ReportOutcome
from ..periods import parse_month
from ..queries import default_report_month
from ..tasks import dispatch_batch

ACTIVE_ROWS = 50


def _visible(request: HttpRequest) -> QuerySet[ReportBatch]:
    """Firm admins and compliance see every batch; an advisor sees their own."""
    return batches_visible_to(
        request.membership, ReportBatch.objects.select_related("requested_by")
    )


def _get_batch(request: HttpRequest, report_batch_id: int) -> ReportBatch:
    try:
        return _visible(request).get(pk=report_batch_id)
    except ReportBatch.DoesNotExist:
        raise Http404("No such report batch.") from None


@member_required(*STAFF_ROLES, write=True)
def report_batch_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    can_start = membership.role in ADVISING_ROLES
    error = None
    if request.method == "POST":
        if not can_start:
            raise PermissionDenied("Only advisors and admins can generate reports.")
        period = parse_month(request.POST.get("period", ""))
        scope = request.POST.get("scope", ReportBatchScope.BOOK)
        if period is None or period[1] >= timezone.localdate():
            error = "Choose a month that has ended (YYYY-MM)."
        elif scope == ReportBatchScope.FIRM and not membership.sees_whole_firm:
            raise PermissionDenied("Only a firm admin can generate reports for the whole firm.")
        else:
            try:
                batch = start_batch(
                    firm=request.firm,
                    user=request.user,
                    period_start=period[0],
                    period_end=period[1],
                    scope=scope,
                )
            except ReportBatchError as exc:
                error = str(exc)
            else:
                firm_id = request.firm.pk
                transaction.on_commit(lambda: dispatch_batch(firm_id, batch.pk))
                messages.success(
                    request, f"Generating {batch.total} reports: they appear as they are made."
                )
                return redirect("report_batch_detail", report_batch_id=batch.pk)
    return render(
        request,
        "reports/batch_list.html",
        {
            "can_start": can_start,
            "can_firm": can_start and membership.sees_whole_firm,
            "report_period": request.POST.get("period") or default_report_month(request.firm.pk),
            "error": error,
            "batches": _visible(request)[:25],
        },
        status=400 if error else 200,
    )


def _detail_context(batch: ReportBatch) -> dict:
    items = batch.items.select_related("household").order_by("position")
    if batch.active:
        items = items.exclude(outcome=ReportOutcome.PENDING)[:ACTIVE_ROWS]
    return {"batch": batch, "counts": outcome_counts(batch), "items": items}


@member_required(*STAFF_ROLES)
def report_batch_detail(request: HttpRequest, report_batch_id: int) -> HttpResponse:
    batch = _get_batch(request, report_batch_id)
    return render(request, "reports/batch_detail.html", _detail_context(batch))


@member_required(*STAFF_ROLES)
def report_batch_progress(request: HttpRequest, report_batch_id: int) -> HttpResponse:
    """The progress and results partial; tells htmx to stop polling once the batch has ended."""
    batch = _get_batch(request, report_batch_id)
    response = render(request, "reports/batch_detail.html#progress", _detail_context(batch))
    if not batch.active and request.htmx:
        return HttpResponseStopPolling(response.content)
    return response
