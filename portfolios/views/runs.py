"""Drift runs: start one for the firm and watch its progress (HTMX polling)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.http import HttpResponseStopPolling

from advisory.access import member_required
from advisory.models import Role
from advisory.tenancy import active_firm_id
from portfolios.drift import runs as drift_runs
from portfolios.models import ACTIVE_RUN_STATES, DriftRun, Price
from portfolios.tasks import dispatch_chunks
from portfolios.valuation import pricing_date, visible_prices


class StartRunForm(forms.Form):
    as_of = forms.DateField(label="As of", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_as_of(self) -> dt.date:
        as_of = self.cleaned_data["as_of"]
        if as_of > timezone.localdate():
            raise forms.ValidationError("Drift cannot be computed for a future date.")
        # Only prices this firm sees: another firm's manual price must not count.
        visible = Price.objects.filter(visible_prices(active_firm_id()), date__lte=as_of)
        if not visible.exists():
            raise forms.ValidationError("There are no prices on or before this date.")
        return as_of


@member_required(Role.ADMIN, Role.COMPLIANCE, write=True)
def run_list(request: HttpRequest) -> HttpResponse:
    form = StartRunForm(request.POST or None, initial={"as_of": pricing_date()})
    if request.method == "POST":
        if request.membership.role != Role.ADMIN:
            raise Http404
        if form.is_valid():
            run, created = drift_runs.start_run(
                request.firm, form.cleaned_data["as_of"], requested_by=request.user
            )
            if created:
                transaction.on_commit(lambda: dispatch_chunks(run))
            else:
                messages.info(request, "A run for that date is already in progress: here it is.")
            return redirect("drift_run_detail", run_id=run.pk)
    runs = DriftRun.objects.select_related("requested_by").order_by("-created_at")[:25]
    return render(
        request,
        "portfolios/drift_runs.html",
        {"form": form, "runs": runs, "can_start": request.membership.role == Role.ADMIN},
    )


def _get_run(run_id: int) -> DriftRun:
    try:
        return DriftRun.objects.select_related("requested_by").get(pk=run_id)
    except DriftRun.DoesNotExist:
        raise Http404("No such run.") from None


@member_required(Role.ADMIN, Role.COMPLIANCE)
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _get_run(run_id)
    return render(request, "portfolios/drift_run_detail.html", {"run": run})


@member_required(Role.ADMIN, Role.COMPLIANCE)
def run_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    """The progress partial; tells htmx to stop polling once the run has ended."""
    run = _get_run(run_id)
    response = render(request, "portfolios/drift_run_detail.html#progress", {"run": run})
    if run.state not in ACTIVE_RUN_STATES and request.htmx:
        stop = HttpResponseStopPolling(response.content)
        return stop
    return response
