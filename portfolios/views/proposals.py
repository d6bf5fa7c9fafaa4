"""Rebalance proposals: propose from a household, edit trades (HTMX or plain forms),
submit, approve/reject, export the order file, and a list with filters.

Thin views: the workflow (:mod:`portfolios.proposals.workflow`) checks roles, versions and
states; these views turn its errors into messages next to the right field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from advisory.access import get_account_for, get_household_for, households_for, member_required
from advisory.models import Account, Household, Membership, Role
from portfolios.charts import BandBar, band_chart
from portfolios.models import (
    Proposal,
    ProposalMode,
    ProposalState,
    ProposedTrade,
    Security,
    Target,
    TaxLot,
)
from portfolios.proposals import workflow
from portfolios.proposals.inputs import ProposalInputError
from portfolios.proposals.order_files import FORMATS, OrderFileError, export_order_file
from portfolios.rebalance.types import Options
from portfolios.valuation import pricing_date

WRITERS = (Role.ADMIN, Role.ADVISOR)
READERS = (Role.ADMIN, Role.ADVISOR, Role.COMPLIANCE)
S = ProposalState
WORKFLOW_ERRORS = (workflow.ProposalError, ProposalInputError, OrderFileError)


class ProposeForm(forms.Form):
    mode = forms.ChoiceField(label="Mode", choices=ProposalMode.choices, initial="to_band")
    raise_amount = forms.DecimalField(
        label="Cash to raise ($)", min_value=0, decimal_places=2, max_digits=14, required=False
    )
    cash_reserve_pct = forms.DecimalField(
        label="Cash reserve (%)", min_value=0, max_value=100, decimal_places=2, required=False
    )
    min_trade_value = forms.DecimalField(
        label="Minimum trade ($)", min_value=0, decimal_places=2, max_digits=14, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("mode") == "raise_cash" and not data.get("raise_amount"):
            self.add_error("raise_amount", "Say how much cash to raise.")
        return data

    def options(self, as_of: dt.date) -> Options:
        """The engine options of a valid form, priced at ``as_of``."""
        data = self.cleaned_data
        return Options(
            mode=data["mode"],
            as_of=as_of,
            raise_amount=data.get("raise_amount") or Decimal(0),
            cash_reserve_pct=data.get("cash_reserve_pct") or Decimal(0),
            min_trade_value=data.get("min_trade_value") or Decimal(0),
        )


class DecideForm(forms.Form):
    comment = forms.CharField(
        label="Comment", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label="I reviewed these trades",
        error_messages={"required": "Tick the box to confirm you reviewed the trades."},
    )


class ExportForm(forms.Form):
    custodian = forms.ChoiceField(
        label="Order file layout", choices=[(k, f.label) for k, f in FORMATS.items()]
    )


class AddTradeForm(forms.Form):
    """A trade the advisor adds by hand; the workflow checks it against the holdings."""

    prefix = "add"
    account = forms.TypedChoiceField(label="Account", coerce=int)
    side = forms.ChoiceField(label="Side", choices=ProposedTrade.Side.choices)
    symbol = forms.CharField(
        label="Symbol", max_length=20, widget=forms.TextInput(attrs={"list": "known-symbols"})
    )
    quantity = forms.CharField(
        label="Quantity", max_length=24, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )

    def __init__(self, *args: Any, accounts: list[Account], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.pk, f"{a.name} {a.masked_number}") for a in accounts]

    def clean_symbol(self) -> Security:
        symbol = self.cleaned_data["symbol"].strip().upper()
        security = Security.objects.filter(symbol=symbol).first()
        if security is None:
            raise ValidationError(f"No security with the symbol {symbol}.")
        return security


class ListFilter(forms.Form):
    state = forms.ChoiceField(
        label="State", choices=[("", "Any state"), *S.choices], required=False
    )
    advisor = forms.ChoiceField(label="Advisor", required=False)

    def __init__(self, *args: Any, advisors: list[Membership], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = [("", "Any advisor")] + [
            (str(m.pk), str(m.user)) for m in advisors
        ]


# --- Helpers ---------------------------------------------------------------------------------


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def _errors(exc: Exception) -> dict[str, list[str]]:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return {k: list(v) for k, v in exc.message_dict.items()}
        return {NON_FIELD_ERRORS: list(exc.messages)}
    return {NON_FIELD_ERRORS: [str(exc)]}


def _get_proposal(request: HttpRequest, proposal_id: int) -> Proposal:
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


def _context(request: HttpRequest, proposal: Proposal, **extra: Any) -> dict[str, Any]:
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
        "add_form": extra.pop("add_form", None) or AddTradeForm(accounts=_tradeable(proposal)),
        "known_symbols": _known_symbols(proposal) if writer and proposal.state == S.DRAFT else [],
        "export_form": ExportForm(),
        "trade_errors": {},
        "errors": {},
        "action_errors": {},
        **extra,
    }


def _tradeable(proposal: Proposal) -> list[Account]:
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


def _render_detail(
    request: HttpRequest, proposal: Proposal, status: int = 200, **extra: Any
) -> HttpResponse:
    template = "portfolios/proposal_detail.html"
    if request.htmx:
        template += "#proposal-body"
    return render(request, template, _context(request, proposal, **extra), status=status)


def _reload(proposal: Proposal) -> Proposal:
    return Proposal.objects.select_related(
        "household", "account", "author", "approved_by", "rejected_by"
    ).get(pk=proposal.pk)


# --- Views -----------------------------------------------------------------------------------


@member_required(*WRITERS, write=True)
def propose(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    back = redirect("household_detail", household_id=household.pk)
    return _propose(request, household, None, back)


@member_required(*WRITERS, write=True)
def propose_account(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for(request.membership, account_id)
    back = redirect("account_detail", account_id=account.pk)
    if account.held_away and request.method == "POST":
        messages.error(request, "No proposal: a held-away account is never traded.")
        return back
    return _propose(request, account.household, account, back)


def _propose(
    request: HttpRequest, household: Household, account: Account | None, back: HttpResponse
) -> HttpResponse:
    if request.method != "POST":
        return back
    form = ProposeForm(request.POST)
    if not form.is_valid():
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for err in errs:
                messages.error(request, f"{label}: {err}" if label else err)
        return back
    as_of = pricing_date(firm_id=request.firm.pk)
    if as_of is None:
        messages.error(request, "There are no prices yet, so nothing can be proposed.")
        return back
    try:
        proposal = workflow.create_proposal(
            firm=request.firm,
            household=household,
            account=account,
            options=form.options(as_of),
            author=request.user,
        )
    except (*WORKFLOW_ERRORS, ValidationError) as exc:
        for errs in _errors(exc).values():
            for err in errs:
                messages.error(request, f"No proposal: {err}")
        return back
    messages.success(request, "Draft proposal created: review and edit the trades.")
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*READERS)
def proposal_list(request: HttpRequest) -> HttpResponse:
    advisors = list(
        Membership.objects.filter(role__in=WRITERS).select_related("user").order_by("user__email")
    )
    filters = ListFilter(request.GET or None, advisors=advisors)
    qs = (
        Proposal.objects.filter(household__in=households_for(request.membership))
        .select_related("household__primary_advisor__user", "author")
        .order_by("-created_at", "-pk")
    )
    if filters.is_bound and filters.is_valid():
        if filters.cleaned_data["state"]:
            qs = qs.filter(state=filters.cleaned_data["state"])
        if filters.cleaned_data["advisor"]:
            qs = qs.filter(household__primary_advisor=filters.cleaned_data["advisor"])
    return render(
        request,
        "portfolios/proposal_list.html",
        {"filters": filters, "proposals": qs[:100]},
    )


@member_required(*READERS)
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = _get_proposal(request, proposal_id)
    return _render_detail(request, proposal)


def _trade_change(
    request: HttpRequest,
    proposal_id: int,
    trade_id: int,
    change: Callable[[Proposal], Proposal],
    done: str,
) -> HttpResponse:
    proposal = _get_proposal(request, proposal_id)
    if request.method != "POST":
        return redirect("proposal_detail", proposal_id=proposal.pk)
    try:
        proposal = change(proposal)
    except (ValidationError, workflow.ProposalError) as exc:
        errors = _errors(exc)
        general = {k: v for k, v in errors.items() if k not in ("quantity", "trade_id")}
        field = errors.get("quantity", []) + errors.get("trade_id", [])
        status = 200 if request.htmx else 400
        return _render_detail(
            request,
            _reload(proposal),
            status=status,
            trade_errors={trade_id: field} if field else {},
            errors=general,
            edited_value={trade_id: request.POST.get("quantity", "")},
        )
    if request.htmx:
        return _render_detail(request, _reload(proposal), saved=done)
    messages.success(request, done)
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*WRITERS, write=True)
def trade_edit(request: HttpRequest, proposal_id: int, trade_id: int) -> HttpResponse:
    def change(p: Proposal) -> Proposal:
        return workflow.edit_trade(
            proposal=p,
            trade_id=trade_id,
            quantity=request.POST.get("quantity", ""),
            expected_version=_version(request),
            actor=request.user,
        )

    return _trade_change(request, proposal_id, trade_id, change, "Trade updated.")


@member_required(*WRITERS, write=True)
def trade_add(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = _get_proposal(request, proposal_id)
    if request.method != "POST":
        return redirect("proposal_detail", proposal_id=proposal.pk)
    form = AddTradeForm(request.POST, accounts=_tradeable(proposal))
    if form.is_valid():
        data = form.cleaned_data
        try:
            proposal = workflow.add_trade(
                proposal=proposal,
                account=data["account"],
                security=data["symbol"],
                side=data["side"],
                quantity=data["quantity"],
                expected_version=_version(request),
                actor=request.user,
            )
        except (ValidationError, workflow.ProposalError) as exc:
            for key, errs in _errors(exc).items():
                field = {"security": "symbol"}.get(key, key)
                for err in errs:
                    form.add_error(field if field in form.fields else None, err)
    if form.errors:
        status = 200 if request.htmx else 400
        return _render_detail(request, _reload(proposal), status=status, add_form=form)
    if request.htmx:
        return _render_detail(request, _reload(proposal), saved="Trade added.")
    messages.success(request, "Trade added.")
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*WRITERS, write=True)
def trade_remove(request: HttpRequest, proposal_id: int, trade_id: int) -> HttpResponse:
    def change(p: Proposal) -> Proposal:
        return workflow.remove_trade(
            proposal=p, trade_id=trade_id, expected_version=_version(request), actor=request.user
        )

    return _trade_change(request, proposal_id, trade_id, change, "Trade removed.")


def _action(
    request: HttpRequest,
    proposal_id: int,
    name: str,
    run: Callable[[Proposal], Any],
    done: str,
    form: forms.Form | None = None,
) -> HttpResponse:
    proposal = _get_proposal(request, proposal_id)
    if request.method != "POST":
        return redirect("proposal_detail", proposal_id=proposal.pk)
    extra: dict[str, Any] = {}
    if form is not None:
        extra["decide_form" if isinstance(form, DecideForm) else "export_form"] = form
        if not form.is_valid():
            request.htmx = False  # full page: the form shows its own errors
            return _render_detail(request, proposal, status=400, action=name, **extra)
    try:
        result = run(proposal)
    except (ValidationError, workflow.FourEyesRequired, *WORKFLOW_ERRORS) as exc:
        request.htmx = False
        messages_ = [e for errs in _errors(exc).values() for e in errs]
        return _render_detail(
            request, _reload(proposal), status=400, action_errors={name: messages_}, **extra
        )
    if isinstance(result, HttpResponse):
        return result
    messages.success(request, done)
    return redirect("proposal_detail", proposal_id=proposal.pk)


@member_required(*WRITERS, write=True)
def proposal_submit(request: HttpRequest, proposal_id: int) -> HttpResponse:
    def run(p: Proposal) -> Proposal:
        return workflow.submit(proposal=p, actor=request.user, expected_version=_version(request))

    return _action(request, proposal_id, "submit", run, "Submitted for approval.")


@member_required(*WRITERS, write=True)
def proposal_approve(request: HttpRequest, proposal_id: int) -> HttpResponse:
    form = DecideForm(request.POST)

    def run(p: Proposal) -> Proposal:
        return workflow.approve(
            proposal=p,
            approver=request.user,
            expected_version=_version(request),
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
            expected_version=_version(request),
            comment=form.cleaned_data["comment"],
        )

    return _action(request, proposal_id, "reject", run, "Proposal rejected.", form)


@member_required(*WRITERS, write=True)
def proposal_cancel(request: HttpRequest, proposal_id: int) -> HttpResponse:
    def run(p: Proposal) -> Proposal:
        return workflow.cancel(
            proposal=p,
            actor=request.user,
            expected_version=_version(request),
            comment=request.POST.get("comment", ""),
        )

    return _action(request, proposal_id, "cancel", run, "Proposal cancelled.")


@member_required(*WRITERS, write=True)
def proposal_refresh(request: HttpRequest, proposal_id: int) -> HttpResponse:
    def run(p: Proposal) -> Proposal:
        return workflow.refresh(proposal=p, actor=request.user, expected_version=_version(request))

    return _action(request, proposal_id, "refresh", run, "Proposal rebuilt from current data.")


@member_required(*WRITERS, write=True)
def proposal_export(request: HttpRequest, proposal_id: int) -> HttpResponse:
    form = ExportForm(request.POST)

    def run(p: Proposal) -> HttpResponse:
        filename, content = export_order_file(
            proposal=p,
            custodian_format=form.cleaned_data["custodian"],
            actor=request.user,
            expected_version=_version(request),
        )
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    return _action(request, proposal_id, "export", run, "", form)
