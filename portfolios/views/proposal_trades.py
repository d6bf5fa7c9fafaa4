"""Editing a draft's trades: change a quantity, add a trade, remove one (htmx swaps the
proposal body; plain forms work without JavaScript). Errors go next to their field."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from advisory.access import member_required
from portfolios.models import Proposal
from portfolios.proposals import workflow
from portfolios.views.proposal_forms import AddTradeForm
from portfolios.views.proposal_page import (
    WRITERS,
    error_dict,
    get_proposal,
    posted_version,
    reload,
    render_detail,
    tradeable_accounts,
)


def _trade_change(
    request: HttpRequest,
    proposal_id: int,
    trade_id: int,
    change: Callable[[Proposal], Proposal],
    done: str,
) -> HttpResponse:
    proposal = get_proposal(request, proposal_id)
    if request.method != "POST":
        return redirect("proposal_detail", proposal_id=proposal.pk)
    try:
        proposal = change(proposal)
    except (ValidationError, workflow.ProposalError) as exc:
        errors = error_dict(exc)
        general = {k: v for k, v in errors.items() if k not in ("quantity", "trade_id")}
        field = errors.get("quantity", []) + errors.get("trade_id", [])
        status = 200 if request.htmx else 400
        return render_detail(
            request,
            reload(proposal),
            status=status,
            trade_errors={trade_id: field} if field else {},
            errors=general,
            edited_value={trade_id: request.POST.get("quantity", "")},
        )
    if request.htmx:
        return render_detail(request, reload(proposal), saved=done)
    messages.success(request, done)
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*WRITERS, write=True)
def trade_edit(request: HttpRequest, proposal_id: int, trade_id: int) -> HttpResponse:
    def change(p: Proposal) -> Proposal:
        return workflow.edit_trade(
            proposal=p,
            trade_id=trade_id,
            quantity=request.POST.get("quantity", ""),
            expected_version=posted_version(request),
            actor=request.user,
        )

    return _trade_change(request, proposal_id, trade_id, change, "Trade updated.")


@member_required(*WRITERS, write=True)
def trade_add(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_proposal(request, proposal_id)
    if request.method != "POST":
        return redirect("proposal_detail", proposal_id=proposal.pk)
    form = AddTradeForm(request.POST, accounts=tradeable_accounts(proposal))
    if form.is_valid():
        data = form.cleaned_data
        try:
            proposal = workflow.add_trade(
                proposal=proposal,
                account=data["account"],
                security=data["symbol"],
                side=data["side"],
                quantity=data["quantity"],
                expected_version=posted_version(request),
                actor=request.user,
            )
        except (ValidationError, workflow.ProposalError) as exc:
            for key, errs in error_dict(exc).items():
                field = {"security": "symbol"}.get(key, key)
                for err in errs:
                    form.add_error(field if field in form.fields else None, err)
    if form.errors:
        status = 200 if request.htmx else 400
        return render_detail(request, reload(proposal), status=status, add_form=form)
    if request.htmx:
        return render_detail(request, reload(proposal), saved="Trade added.")
    messages.success(request, "Trade added.")
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*WRITERS, write=True)
def trade_remove(request: HttpRequest, proposal_id: int, trade_id: int) -> HttpResponse:
    def change(p: Proposal) -> Proposal:
        return workflow.remove_trade(
            proposal=p,
            trade_id=trade_id,
            expected_version=posted_version(request),
            actor=request.user,
        )

    return _trade_change(request, proposal_id, trade_id, change, "Trade removed.")
