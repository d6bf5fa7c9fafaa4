"""The Imports page: position files and manual prices (firm admins), shared price files
(platform operators). Plain forms and full pages; the work is done by the import modules."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.formats import date_format

from advisory import audit_actions as actions
from advisory.access import member_required
from advisory.models import AuditEvent, Role
from portfolios.imports import POSITION_PRESETS, ImportResult, staging
from portfolios.imports.csv_rows import MAX_FILE_BYTES, human_format
from portfolios.imports.custodians import CUSTODIAN_PRESETS, ILLUSTRATIVE
from portfolios.imports.layout import PositionMapping
from portfolios.imports.limits import bounded_upload
from portfolios.imports.mappings import current_mappings, layout_of
from portfolios.imports.positions import plan_positions
from portfolios.imports.uploads import count_lines, upload_problem
from portfolios.models import ColumnMapping, PositionImport
from portfolios.pricing import PRESETS, CsvPriceSource, enter_price
from portfolios.pricing.shared import import_shared_prices
from portfolios.tasks import check_position_import

IMPORT_ACTIONS = actions.codes(actions.IMPORT_EVENTS)
_ACCEPT = ".csv,.txt,text/csv,text/plain"


def _preset_choices(presets: dict[str, Any]) -> list[tuple[str, str]]:
    """``generic`` → "Generic (dates YYYY-MM-DD)"."""
    return [
        (name, f"{name.capitalize()} (dates {human_format(m.date_format)})")
        for name, m in presets.items()
    ]


def _preset_help(presets: dict[str, Any], optional: frozenset[str] = frozenset()) -> str:
    """The header each layout expects, for the help text under the select."""
    lines = []
    for name, m in presets.items():
        columns = [f"{h} (optional)" if k in optional else h for k, h in m.headers().items()]
        lines.append(f"{name.capitalize()}: {', '.join(columns)}.")
    return " ".join(lines)


class UploadField(forms.FileField):
    """A .csv/.txt file of at most 20 MB that starts like UTF-8 text."""

    widget = forms.ClearableFileInput(attrs={"accept": _ACCEPT})

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload:
            problem = upload_problem(upload, upload.name, upload.size)
            if problem:
                raise ValidationError(problem)
        return upload


MAPPING_PREFIX = "mapping-"  # a saved mapping's choice: "mapping-<id of its current version>"


def _position_layouts(mappings: list[ColumnMapping]) -> list[tuple[str, Any]]:
    """The layouts the import offers: built-in, illustrative custodian presets, saved."""
    plain = {k: v for k, v in POSITION_PRESETS.items() if k not in CUSTODIAN_PRESETS}
    presets = [
        (
            key,
            f"{preset.label} preset (dates {human_format(preset.mapping.date_format)}; "
            "illustrative)",
        )
        for key, preset in CUSTODIAN_PRESETS.items()
    ]
    saved = [
        (f"{MAPPING_PREFIX}{m.pk}", f"{m.name} (saved mapping, v{m.version})") for m in mappings
    ]
    groups: list[tuple[str, Any]] = [("Built in", _preset_choices(plain))]
    groups.append(("Custodian presets (illustrative)", presets))
    if saved:
        groups.append(("Saved mappings", saved))
    return groups


class PositionsForm(forms.Form):
    file = UploadField(
        label="Position file",
        help_text=f"CSV from the custodian, UTF-8, at most {MAX_FILE_BYTES // 2**20} MB.",
    )
    preset = forms.ChoiceField(
        label="Column layout",
        initial="generic",
        help_text=_preset_help(
            {k: v for k, v in POSITION_PRESETS.items() if k not in CUSTODIAN_PRESETS},
            frozenset({"custodian", "owners"}),
        )
        + f" The custodian presets are {ILLUSTRATIVE}.",
    )
    partial = forms.BooleanField(
        label="Import the good accounts even if some rows are bad",
        required=False,
        help_text="An account with any bad row keeps its current lots.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Inside the request's firm scope: this firm's saved mappings only.
        self.saved = {m.pk: m for m in current_mappings()}
        self.fields["preset"].choices = _position_layouts(list(self.saved.values()))

    def layout(self) -> tuple[PositionMapping, ColumnMapping | None]:
        """The chosen layout, and the saved mapping version when it is one."""
        choice = self.cleaned_data["preset"]
        if choice.startswith(MAPPING_PREFIX):
            saved = self.saved[int(choice.removeprefix(MAPPING_PREFIX))]
            return layout_of(saved), saved
        return POSITION_PRESETS[choice], None


class ManualPriceForm(forms.Form):
    symbol = forms.CharField(label="Symbol", max_length=40)
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    close = forms.CharField(
        label="Close",
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text="A plain number, e.g. 501.25.",
    )


class SharedPricesForm(forms.Form):
    file = UploadField(
        label="Price file",
        help_text=f"CSV from a vendor or custodian, UTF-8, at most {MAX_FILE_BYTES // 2**20} MB.",
    )
    source = forms.CharField(
        label="Source name",
        initial="csv",
        max_length=40,
        help_text="Stored on every price, e.g. vendor-x. Lower-case letters, digits, _ . -",
    )
    preset = forms.ChoiceField(
        label="Column layout",
        choices=_preset_choices(PRESETS),
        initial="generic",
        help_text=_preset_help(PRESETS),
    )
    partial = forms.BooleanField(label="Import the good rows even if some are bad", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            data["price_source"] = CsvPriceSource(
                data["file"], name=data["source"], mapping=PRESETS[data["preset"]]
            )
        except ValueError as exc:
            self.add_error("source", str(exc))
        return data


def _page(request: HttpRequest, **context: Any) -> HttpResponse:
    """The whole page; forms not passed in are blank."""
    role = request.membership.role
    context.setdefault("positions_form", PositionsForm())
    context.setdefault("price_form", ManualPriceForm())
    context.setdefault("shared_form", SharedPricesForm())
    recent = list(
        AuditEvent.objects.filter(action__in=IMPORT_ACTIONS)
        .order_by("-seq")
        .only("seq", "created_at", "actor_label", "action", "object_repr", "changes")[:10]
    )
    for event in recent:
        event.summary = _summary(event)
    context |= {
        "position_imports": PositionImport.objects.select_related("created_by", "mapping")[:5],
        "can_edit": role == Role.ADMIN,
        "is_operator": request.user.is_staff,
        "recent": recent,
        "custodian_presets": list(CUSTODIAN_PRESETS.values()),
        "illustrative": ILLUSTRATIVE,
    }
    return render(request, "portfolios/imports.html", context)


View = Callable[..., HttpResponse]


def post_only(view: View) -> View:
    """A form target: a GET (a reload, a bookmark) goes back to the page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method != "POST":
            return redirect("imports")
        return view(request, *args, **kwargs)

    return wrapped


@member_required(Role.ADMIN, Role.COMPLIANCE)
def imports_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@member_required(Role.ADMIN, write=True)
@post_only
@bounded_upload
def upload_positions(request: HttpRequest) -> HttpResponse:
    """Check the file and stage it for preview; nothing is applied before the admin confirms.

    A small file is checked here and a bad one shown with its errors (nothing is
    written at all); a large one is stored and checked by a task, with a progress bar.
    """
    form = PositionsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, positions_form=form)
    upload = form.cleaned_data["file"]
    preset, partial = form.cleaned_data["preset"], form.cleaned_data["partial"]
    layout, saved = form.layout()
    rows = count_lines(upload)
    facts = {"file_name": upload.name, "actor": request.user, "preset": preset,
             "partial": partial, "rows_total": rows, "mapping": saved}  # fmt: skip
    if rows > settings.BALLAST_IMPORT_ASYNC_ROWS:
        job = staging.stage(request.firm, upload, **facts)
        firm_id = request.firm.pk
        transaction.on_commit(lambda: check_position_import.delay(firm_id, job.pk))
        return redirect("position_import", import_id=job.pk)
    plan = plan_positions(request.firm, upload, partial=partial, mapping=layout)
    if not plan.groups:
        outcome = _outcome("Position file", upload.name, "lots", plan.result)
        initial = {"preset": preset, "partial": partial}
        return _page(request, positions_form=PositionsForm(initial=initial), **outcome)
    upload.seek(0)
    job = staging.stage(request.firm, upload, plan=plan, **facts)
    return redirect("position_import", import_id=job.pk)


@member_required(Role.ADMIN, write=True)
@post_only
def manual_price(request: HttpRequest) -> HttpResponse:
    form = ManualPriceForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            price = enter_price(
                data["symbol"],
                data["date"],
                data["close"],
                firm=request.firm,
                entered_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Saved {price.security.symbol} close {price.close.normalize():f} for "
                f"{date_format(price.date, 'M j, Y')}. It applies to {request.firm.name} only; "
                "other firms keep the shared prices.",
            )
            return redirect("imports")
    return _page(request, price_form=form)


@member_required(Role.ADMIN, write=True)
@post_only
@bounded_upload
def upload_shared_prices(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff:
        raise PermissionDenied("Shared prices are managed by the platform operator.")
    form = SharedPricesForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, shared_form=form)
    upload, partial = form.cleaned_data["file"], form.cleaned_data["partial"]
    result = import_shared_prices(
        form.cleaned_data["price_source"],
        firm=request.firm,
        actor=request.user,
        file_name=upload.name,
        partial=partial,
    )
    outcome = _outcome("Shared price file", upload.name, "prices", result)
    initial = {k: form.cleaned_data[k] for k in ("source", "preset", "partial")}
    return _page(request, shared_form=SharedPricesForm(initial=initial), **outcome)


def _summary(event: AuditEvent) -> str:
    """One line about an import event for the Recent imports table."""
    c = event.changes or {}
    if event.action.startswith("price."):  # object_repr: "VOO 2025-12-31 612.340000 (manual:…)"
        symbol = event.object_repr.split(" ", 1)[0]
        close = Decimal((c.get("close") or {}).get("after") or 0).normalize()
        before = (c.get("close") or {}).get("before")
        was = f" (was {Decimal(before).normalize():f})" if before else ""
        return f"{symbol} close {close:f}{was} on {c.get('date', '')}, for this firm only"
    errors = f", {c.get('errors', 0)} problems" if c.get("errors") else ""
    staged = {
        actions.POSITIONS_IMPORT_STAGED.code: "uploaded for preview",
        actions.POSITIONS_IMPORT_CANCELLED.code: f"not applied ({c.get('reason', 'cancelled')})",
        actions.POSITIONS_RESTORE.code: f"undone, {c.get('lots_restored', 0)} lots restored",
    }
    if event.action in staged:
        return f"{c.get('file', '')}: {staged[event.action]}, {c.get('rows', 0)} rows{errors}"
    if event.action.startswith("positions."):
        return (
            f"{c.get('rows', 0)} rows, {c.get('accounts', 0)} accounts replaced, "
            f"{c.get('lots', 0)} lots written{errors}"
        )
    return (
        f"{c.get('file', '')} ({c.get('source', '')}): {c.get('written', 0)} prices written{errors}"
    )


def _outcome(kind: str, file_name: str, unit: str, result: ImportResult) -> dict[str, Any]:
    if result.ok:
        verdict = "ok"
    elif result.written:
        verdict = "partial"
    else:
        verdict = "rejected"
    return {
        "result": result,
        "result_kind": kind,
        "result_file": file_name,
        "result_unit": unit,
        "result_verdict": verdict,
    }
