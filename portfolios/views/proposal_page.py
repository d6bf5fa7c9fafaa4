"""The proposal page: finding a proposal the user may see, its context, and rendering it
whole or as the ``#proposal-body`` partial for htmx. Shared by every proposal view."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from advisory.access import households_for
from advisory.models import ADVISING_ROLES, STAFF_ROLES, Account
from portfolios.charts import BandBar, band_chart
from portfolios.models import Proposal, ProposalState, Target, TaxLot
from portfolios.proposals import workflow
from portfolios.proposals.inputs import ProposalInputError
from portfolios.proposals.order_files import OrderFileError
from portfolios.views.proposal_forms import AddTradeForm, DecideForm, ExportForm

WRITERS = ADVISING_ROLES
READERS = STAFF_ROLES
S = ProposalState
WORKFLOW_ERRORS = (workflow.ProposalError, ProposalInputError, OrderFileError)


def posted_version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def error_dict(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: list(v) for k, v in exc.message_dict.items()}
        return {NON_FIELD_ERRORS: list(exc.messages)}
    return {NON_FIELD_ERRORS: [str(exc)]}


def get_proposal(request: HttpRequest, proposal_id: int) -> Proposal:
    try:
        return (
            Proposal.objects.filter(household__in=households_for(request.membership))
            .select_related("household", "account", "author", "approved_by", "rejected_by")
            .get(pk=proposal_id)
        )
    except Proposal.DoesNotExist:
        raise Http404("No such proposal.") from None


def _chart(proposal: Proposal) -> str:
    bars = [
        BandBar(
            label=row["label"],
            weight=Decimal(row["current_weight"]),
            target=Decimal(row["target"]),
            low=Decimal(row["low"]),
            high=Decimal(row["high"]),
            breached=bool(row["breached_before"]),
            projected=Decimal(row["projected_weight"]),
        )
        for row in proposal.projection
    ]
    return band_chart(bars, title="Current, projected and target weights") if bars else ""


def detail_context(request: HttpRequest, proposal: Proposal, **extra: Any) -> dict[str, Any]:
    trades = list(proposal.trades.select_related("account", "security"))
    trade_errors = extra.get("trade_errors", {})
    typed = extra.get("edited_value", {})
    for t in trades:  # errors and the typed value go back next to the trade's own input
        t.errors = trade_errors.get(t.pk, [])
        t.input_value = typed.get(t.pk, "")
    names = dict(Account.objects.filter(household=proposal.household_id).values_list("pk", "name"))
    cash_after = [(names.get(int(k), f"#{k}"), Decimal(v)) for k, v in proposal.cash_after.items()]
    writer = request.membership.can_write
    open_states = {S.DRAFT, S.SUBMITTED, S.APPROVED}
    return {
        "proposal": proposal,
        "trades": trades,
        "edited": any(t.edited for t in trades),
        "cash_after": cash_after,
        "chart": _chart(proposal),
        "stale": proposal.state in open_states and workflow.is_stale(proposal),
        "can_edit": writer and proposal.state == S.DRAFT,
        "can_write": writer,
        "decide_form": extra.pop("decide_form", None) or DecideForm(),
        "add_form": extra.pop("add_form", None)
        or AddTradeForm(accounts=tradeable_accounts(proposal)),
        "known_symbols": _known_symbols(proposal) if writer and proposal.state == S.DRAFT else [],
        "export_form": ExportForm(),
        "trade_errors": {},
        "errors": {},
        "action_errors": {},
        **extra,
    }


def tradeable_accounts(proposal: Proposal) -> list[Account]:
    """Accounts a trade may be added to: the proposal's account, or the household's own."""
    accounts = Account.objects.filter(household=proposal.household_id, held_away=False)
    if proposal.account_id:
        accounts = accounts.filter(pk=proposal.account_id)
    return list(accounts.order_by("name", "pk"))


def _known_symbols(proposal: Proposal) -> list[str]:
    """Suggestions for the add-trade symbol: what the household holds and its model buys."""
    held = TaxLot.objects.filter(account__household=proposal.household_id)
    symbols = set(held.values_list("security__symbol", flat=True))
    if proposal.household.model_id:
        targets = Target.objects.filter(model=proposal.household.model_id)
        symbols |= set(targets.values_list("preferred_security__symbol", flat=True))
    return sorted(s for s in symbols if s)


def render_detail(
    request: HttpRequest, proposal: Proposal, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "portfolios/proposal_detail.html"
    if request.htmx:
        template += "#proposal-body"
    return render(request, template, detail_context(request, proposal, **extra), status=status)


def reload(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_related(
        "household", "account", "author", "approved_by", "rejected_by"
    ).get(pk=proposal.pk)
