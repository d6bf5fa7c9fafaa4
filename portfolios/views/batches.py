"""Batch proposals: "propose for all breached households in my book", its progress and results.

The batch runs as a Celery task (:func:`portfolios.tasks.propose_batch`); the
detail page polls a progress partial with htmx and stops with 286 when the
batch has ended. Without JavaScript the page says to reload.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseStopPolling

from advisory.access import batches_visible_to, member_required
from portfolios.models import BatchOutcome, ProposalBatch
from portfolios.proposals.batches import BatchError, breached_in_book, outcome_counts, start_batch
from portfolios.tasks import dispatch_batch
from portfolios.valuation import pricing_date
from portfolios.views.proposal_forms import ProposeForm
from portfolios.views.proposal_page import READERS, WRITERS

ACTIVE_ROWS = 50


def _visible(request: HttpRequest) -> QuerySet[ProposalBatch]:
    """Firm admins and compliance see every batch; an advisor sees their own."""
    return batches_visible_to(
        request.membership, ProposalBatch.objects.select_related("requested_by")
    )


def _get_batch(request: HttpRequest, batch_id: int) -> ProposalBatch:
    try:
        return _visible(request).get(pk=batch_id)
    except ProposalBatch.DoesNotExist:
        raise Http404("No such batch.") from None


@member_required(*READERS, write=True)
def batch_list(request: HttpRequest) -> HttpResponse:
    can_start = request.membership.role in WRITERS
    form = ProposeForm(request.POST or None)
    if request.method == "POST":
        if not can_start:
            raise PermissionDenied("Only advisors and admins can propose.")
        started = _start(request, form)
        if started is not None:
            return redirect("proposal_batch_detail", batch_id=started.pk)
    drift_as_of, breached = breached_in_book(request.membership) if can_start else (None, [])
    return render(
        request,
        "portfolios/batch_list.html",
        {
            "form": form,
            "can_start": can_start,
            "breached": len(breached),
            "drift_as_of": drift_as_of,
            "batches": _visible(request)[:25],
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _start(request: HttpRequest, form: ProposeForm) -> ProposalBatch | None:
    if not form.is_valid():
        return None
    as_of = pricing_date(firm_id=request.firm.pk)
    if as_of is None:
        form.add_error(None, "There are no prices yet, so nothing can be proposed.")
        return None
    try:
        batch = start_batch(firm=request.firm, user=request.user, options=form.options(as_of))
    except BatchError as exc:
        form.add_error(None, str(exc))
        return None
    firm_id = request.firm.pk
    transaction.on_commit(lambda: dispatch_batch(firm_id, batch.pk, batch.total))
    messages.success(
        request, f"Proposing for {batch.total} breached households: drafts appear as they are made."
    )
    return batch


def _detail_context(batch: ProposalBatch) -> dict:
    items = batch.items.select_related("household").order_by("position")
    if batch.active:  # while polling, the first households done, not the whole book each second
        items = items.exclude(outcome=BatchOutcome.PENDING)[:ACTIVE_ROWS]
    return {"batch": batch, "counts": outcome_counts(batch), "items": items}


@member_required(*READERS)
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _get_batch(request, batch_id)
    return render(request, "portfolios/batch_detail.html", _detail_context(batch))


@member_required(*READERS)
def batch_progress(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The progress and results partial; tells htmx to stop polling once the batch has ended."""
    batch = _get_batch(request, batch_id)
    response = render(request, "portfolios/batch_detail.html#progress", _detail_context(batch))
    if not batch.active and request.htmx:
        return HttpResponseStopPolling(response.content)
    return response
