"""The workflow's steps from the proposal page: submit, approve, reject, cancel, refresh and
export the order file. Refusals (four eyes, stale, a conflict) come back on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from advisory.access import member_required
from advisory.mfa.stepup import require_stepup
from portfolios.models import Proposal
from portfolios.proposals import workflow
from portfolios.proposals.order_files import export_order_file
from portfolios.views.proposal_forms import DecideForm, ExportForm
from portfolios.views.proposal_page import (
    WORKFLOW_ERRORS,
    WRITERS,
    error_dict,
    get_proposal,
    posted_version,
    reload,
    render_detail,
)


def _action(
    request: HttpRequest,
    proposal_id: int,
    name: str,
    run: Callable[[Proposal], Any],
    done: str,
    form: forms.Form | None = None,
) -> HttpResponse:
    proposal = get_proposal(request, proposal_id)
    if request.method != "POST":
        return redirect("proposal_detail", proposal_id=proposal.pk)
    extra: dict[str, Any] = {}
    if form is not None:
        extra["decide_form" if isinstance(form, DecideForm) else "export_form"] = form
        if not form.is_valid():
            request.htmx = False  # full page: the form shows its own errors
            return render_detail(request, proposal, status=400, action=name, **extra)
    try:
        result = run(proposal)
    except (ValidationError, workflow.FourEyesRequired, *WORKFLOW_ERRORS) as exc:
        request.htmx = False
        messages_ = [e for errs in error_dict(exc).values() for e in errs]
        return render_detail(
            request, reload(proposal), status=400, action_errors={name: messages_}, **extra
        )
    if isinstance(result, HttpResponse):
        return result
    messages.success(request, done)
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*WRITERS, write=True)
def proposal_submit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    def run(p: Proposal) -> Proposal:
        return workflow.submit(
            proposal=p, actor=request.user, expected_version=posted_version(request)
        )

    return _action(request, proposal_id, "submit", run, "Submitted for approval.")


@member_required(*WRITERS, write=True)
def proposal_approve(request: HttpRequest, proposal_id: int) -> HttpResponse:
    # Only what the author may approve alone needs no fresh second factor.
    needed = request.method == "POST" and not workflow.self_approval_allowed(
        get_proposal(request, proposal_id)
    )
    if (refusal := require_stepup(request, when=needed)) is not None:
        return refusal
    form = DecideForm(request.POST)

    def run(p: Proposal) -> Proposal:
        return workflow.approve(
            proposal=p,
            approver=request.user,
            expected_version=posted_version(request),
            comment=form.cleaned_data["comment"],
        )

    return _action(request, proposal_id, "approve", run, "Proposal approved.", form)


@member_required(*WRITERS, write=True)
def proposal_reject(request: HttpRequest, proposal_id: int) -> HttpResponse:
    form = DecideForm(request.POST)

    def run(p: Proposal) -> Proposal:
        return workflow.reject(
            proposal=p,
            actor=request.user,
            expected_version=posted_version(request),
            comment=form.cleaned_data["comment"],
        )

    return _action(request, proposal_id, "reject", run, "Proposal rejected.", form)


@member_required(*WRITERS, write=True)
def proposal_cancel(request: HttpRequest, proposal_id: int) -> HttpResponse:
    def run(p: Proposal) -> Proposal:
        return workflow.cancel(
            proposal=p,
            actor=request.user,
            expected_version=posted_version(request),
            comment=request.POST.get("comment", ""),
        )

    return _action(request, proposal_id, "cancel", run, "Proposal cancelled.")


@member_required(*WRITERS, write=True)
def proposal_refresh(request: HttpRequest, proposal_id: int) -> HttpResponse:
    def run(p: Proposal) -> Proposal:
        return workflow.refresh(
            proposal=p, actor=request.user, expected_version=posted_version(request)
        )

    return _action(request, proposal_id, "refresh", run, "Proposal rebuilt from current data.")


@member_required(*WRITERS, write=True)
def proposal_export(request: HttpRequest, proposal_id: int) -> HttpResponse:
    # After the lookup: another firm's id stays a 404, not a prompt for a code.
    needed = request.method == "POST" and get_proposal(request, proposal_id) is not None
    if (refusal := require_stepup(request, when=needed)) is not None:
        return refusal
    form = ExportForm(request.POST)

    def run(p: Proposal) -> HttpResponse:
        filename, content = export_order_file(
            proposal=p,
            custodian_format=form.cleaned_data["custodian"],
            actor=request.user,
            expected_version=posted_version(request),
        )
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    return _action(request, proposal_id, "export", run, "", form)
