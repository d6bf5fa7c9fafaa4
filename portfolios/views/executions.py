"""Recording an execution from the proposal page: upload the custodian's file or type the
fills, see how they match the trades, then confirm. Hand entry becomes an execution file
and takes the same path (portfolios.executions), so both are checked the same way.

The preview carries the file itself (base64, a hidden field) to the confirm step, which
parses and matches it again under lock: what is applied is exactly what was previewed,
or a refusal. Advisors and admins record; compliance reads the execution page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from advisory.access import member_required
from advisory.models import Account, User
from portfolios.executions.apply import ExecutionRefused, preview, record_execution
from portfolios.executions.parse import (
    HEADERS,
    MAX_EXECUTION_BYTES,
    ExecutionFileError,
    parse_file,
    render_cells,
)
from portfolios.imports.csv_rows import RowError
from portfolios.imports.limits import bounded_upload
from portfolios.models import Execution, ExecutionSource, Proposal, ProposalState
from portfolios.proposals.arithmetic import plain
from portfolios.views.imports import UploadField
from portfolios.views.proposal_page import (
    READERS,
    WORKFLOW_ERRORS,
    WRITERS,
    get_proposal,
    posted_version,
)

MAX_MANUAL_ROWS = 200
SIDE_CHOICES = [("buy", "Buy"), ("sell", "Sell")]


class ExecutionUploadForm(forms.Form):
    file = UploadField(
        label="Execution file",
        help_text=(
            "The custodian's execution report as CSV: " + ", ".join(HEADERS.values())
            + f" (fill_id and net_amount optional); at most {MAX_EXECUTION_BYTES // 1024} KB."
        ),
    )  # fmt: skip


class FillForm(forms.Form):
    """One fill typed by hand; a row without a quantity is a trade not done."""

    account_number = forms.ChoiceField(label="Account", required=False)
    symbol = forms.CharField(label="Symbol", max_length=12, required=False)
    side = forms.ChoiceField(label="Side", choices=SIDE_CHOICES, required=False)
    quantity = forms.CharField(
        label="Quantity", max_length=40, required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    price = forms.CharField(
        label="Price", max_length=40, required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip
    trade_date = forms.CharField(
        label="Trade date", max_length=10, required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    fill_id = forms.CharField(label="Fill id", max_length=64, required=False)
    amount = forms.CharField(
        label="Net amount", max_length=40, required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )  # fmt: skip

    def __init__(self, *args: Any, accounts: list[Account] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        for each in self.fields.values():  # the house input style (.field wraps none here)
            each.widget.attrs.setdefault("class", "input")
        field = cast(forms.ChoiceField, self.fields["account_number"])
        field.choices = [(a.account_number, a.name) for a in accounts]


FillFormSet = forms.formset_factory(
    FillForm, extra=2, max_num=MAX_MANUAL_ROWS, validate_max=True, absolute_max=MAX_MANUAL_ROWS
)


def _writable(request: HttpRequest, proposal_id: int) -> Proposal:
    """The proposal: a 404 outside the firm or the user's households (member_required has
    already let only advisors and admins in)."""
    return get_proposal(request, proposal_id)


def _accounts(proposal: Proposal) -> list[Account]:
    accounts = Account.objects.filter(household=proposal.household_id, held_away=False)
    if proposal.account_id:
        accounts = accounts.filter(pk=proposal.account_id)
    return list(accounts.order_by("name", "pk"))


def _page(
    request: HttpRequest, proposal: Proposal, status: int = 200, **extra: Any
) -> HttpResponse:
    context = {
        "proposal": proposal,
        "exported": proposal.state == ProposalState.EXPORTED,
        "upload_form": extra.pop("upload_form", None) or ExecutionUploadForm(),
        **extra,
    }
    return render(request, "portfolios/executions/record.html", context, status=status)


def _preview(
    request: HttpRequest, proposal: Proposal, content: bytes, source: str, file_name: str
) -> HttpResponse:
    """Parse and match without writing; errors (if any) come back with line numbers."""
    context: dict[str, Any] = {
        "payload": base64.b64encode(content).decode("ascii"),
        "source": source,
        "file_name": file_name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "manual": source == ExecutionSource.MANUAL,
    }
    try:
        matching = preview(proposal, parse_file(content))
    except ExecutionFileError as exc:
        return _page(request, proposal, status=400, errors=exc.errors, **context)
    errors = matching.errors
    if not matching.fills and not errors:
        errors = [RowError(None, None, "there are no fills to record")]
    return _page(
        request, proposal, status=400 if errors else 200, errors=errors,
        matching=matching.summary(), **context,
    )  # fmt: skip


@member_required(*WRITERS, write=True)
@bounded_upload
def execution_upload(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """GET: the upload form; POST: the preview of how the file matches the trades."""
    proposal = _writable(request, proposal_id)
    if request.method != "POST":
        return _page(request, proposal)
    form = ExecutionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, proposal, status=400, upload_form=form)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_EXECUTION_BYTES:
        limit = MAX_EXECUTION_BYTES // 1024
        form.add_error("file", f"An execution file may be at most {limit} KB.")
        return _page(request, proposal, status=400, upload_form=form)
    content = upload.read()
    return _preview(request, proposal, content, ExecutionSource.FILE, upload.name[:255])


@member_required(*WRITERS, write=True)
def execution_manual(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Fills typed by hand, one row per proposed trade (prefilled) and spare rows."""
    proposal = _writable(request, proposal_id)
    accounts = _accounts(proposal)
    form_kwargs = {"accounts": accounts}
    if request.method == "POST":
        formset = FillFormSet(request.POST, form_kwargs=form_kwargs, prefix="fills")
        if formset.is_valid():
            rows = [
                {key: str(form.cleaned_data.get(key) or "") for key in HEADERS}
                for form in formset.forms
                if (form.cleaned_data.get("quantity") or "").strip()
            ]
            return _preview(
                request, proposal, render_cells(rows), ExecutionSource.MANUAL, "entered by hand"
            )
    else:
        today = timezone.localdate().isoformat()
        initial = [
            {"account_number": t.account.account_number, "symbol": t.security.symbol,
             "side": t.side, "quantity": plain(t.quantity), "price": plain(t.price),
             "trade_date": today}
            for t in proposal.trades.select_related("account", "security")
        ]  # fmt: skip
        formset = FillFormSet(initial=initial, form_kwargs=form_kwargs, prefix="fills")
    exported = proposal.state == ProposalState.EXPORTED
    context = {"proposal": proposal, "formset": formset, "exported": exported}
    status = 400 if request.method == "POST" else 200
    return render(request, "portfolios/executions/manual.html", context, status=status)


@member_required(*WRITERS, write=True)
def execution_confirm(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Apply the previewed file: lots, cash, fills and the proposal's state, or nothing."""
    proposal = _writable(request, proposal_id)
    if request.method != "POST":
        return redirect("execution_upload", proposal_id=proposal.pk)
    source = request.POST.get("source", "")
    if source not in ExecutionSource.values:
        source = ExecutionSource.FILE
    file_name = request.POST.get("file_name", "")[:255]
    try:
        content = base64.b64decode(request.POST.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        content = b""
    try:
        rows = parse_file(content)
        execution = record_execution(
            proposal=proposal, actor=cast(User, request.user),
            expected_version=posted_version(request),
            rows=rows, source=source, file_name=file_name,
            content=content if source == ExecutionSource.FILE else b"",
        )  # fmt: skip
    except ExecutionFileError as exc:
        return _page(request, proposal, status=400, errors=exc.errors)
    except ExecutionRefused as exc:
        return _preview_again(request, proposal, content, source, file_name, exc.errors)
    except WORKFLOW_ERRORS as exc:
        return _page(request, proposal, status=400, refusal=str(exc))
    counts = execution.summary["counts"]
    messages.success(
        request,
        f"Execution recorded: {counts['fills']} fill{'s' if counts['fills'] != 1 else ''}; "
        f"{counts['filled']} filled, {counts['partial']} partial, {counts['not_done']} not done, "
        f"{counts['unmatched']} unmatched.",
    )
    return redirect("proposal_detail", proposal_id=proposal.pk)


def _preview_again(
    request: HttpRequest,
    proposal: Proposal,
    content: bytes,
    source: str,
    file_name: str,
    errors: list[RowError],
) -> HttpResponse:
    response = _preview(request, proposal, content, source, file_name)
    if response.status_code == 200:  # refused under lock only (e.g. a fill id just imported)
        return _page(request, proposal, status=400, errors=errors)
    return response


@member_required(*READERS)
def execution_detail(request: HttpRequest, execution_id: int) -> HttpResponse:
    """What the custodian did: every fill, the lots it relieved or created, the cash."""
    execution = (
        Execution.objects.select_related("proposal__household", "created_by")
        .filter(pk=execution_id)
        .first()
    )
    if execution is None:
        raise Http404("No such execution.")
    get_proposal(request, execution.proposal_id)  # 404 outside the user's households
    fills = list(execution.fills.select_related("account", "security", "trade"))
    for fill in fills:  # dates as dates: the page shows them in the house style
        fill.lot_rows = [  # type: ignore[attr-defined]
            {**lot, "acquired": dt.date.fromisoformat(lot["acquired_on"])} for lot in fill.lots
        ]
    context = {"execution": execution, "proposal": execution.proposal, "fills": fills}
    return render(request, "portfolios/executions/detail.html", context)
