"""Saved column mappings: a firm admin maps a sample file's columns once, then edits them.

Firm admins write; compliance reads (no forms); everyone else gets 403.
Another firm's mapping id is a 404 (the scoped manager). Saving and editing
are done by :mod:`portfolios.imports.mappings`; every edit is a new version.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from advisory.access import member_required
from advisory.models import Role
from advisory.models.households import Custodian
from portfolios.imports.csv_rows import FileError
from portfolios.imports.layout import (
    COST_PER_SHARE,
    COST_TOTAL,
    FIELD_LABELS,
    FIELDS,
    NUMBERS_FORMATTED,
    NUMBERS_PLAIN,
    OPTIONAL_FIELDS,
    PositionMapping,
)
from portfolios.imports.limits import bounded_upload
from portfolios.imports.mappings import (
    DATE_FORMATS,
    MappingError,
    Sample,
    current_mappings,
    layout_of,
    read_sample,
    save_mapping,
)
from portfolios.models import ColumnMapping
from portfolios.views.imports import UploadField

LIST = "portfolios/mappings/mapping_list.html"
EDIT = "portfolios/mappings/mapping_edit.html"
DETAIL = "portfolios/mappings/mapping_detail.html"


class SampleForm(forms.Form):
    file = UploadField(
        label="Sample file",
        help_text="One position file from the custodian (CSV, UTF-8, at most 20 MB). Only its "
        "header and first rows are read; nothing is imported.",
    )


class MappingForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80, help_text="E.g. “Schwab positions”.")
    custodian = forms.ChoiceField(label="Custodian", choices=Custodian.choices)
    date_format = forms.ChoiceField(label="Date format", choices=list(DATE_FORMATS.items()))
    cost = forms.ChoiceField(
        label="Cost basis column holds",
        choices=[(COST_TOTAL, "the lot's total cost"), (COST_PER_SHARE, "the cost per share")],
        help_text="Per share: the lot's cost is quantity × cost per share, rounded to the cent.",
    )
    numbers = forms.ChoiceField(
        label="Amounts are written",
        help_text="Formatted: a $ sign, thousands separators, (12.00) or -12.00 for negatives "
        "and -- for an unknown cost.",
        choices=[
            (NUMBERS_PLAIN, "plain: 1234.56"),
            (NUMBERS_FORMATTED, "formatted: $1,234.56 or (12.00)"),
        ],
    )
    header_search = forms.BooleanField(
        label="The file has title lines before the header", required=False
    )
    extra_columns = forms.BooleanField(
        label="Ignore the file's other columns",
        required=False,
        initial=True,
        help_text="Otherwise a column not mapped above is an error.",
    )
    summary_markers = forms.CharField(
        label="Skip rows starting with",
        required=False,
        max_length=200,
        help_text="Comma-separated, any case, in the account or symbol column: e.g. "
        "“Total, Cash & Cash Investments”. Note lines (a single cell) are skipped too.",
    )

    def __init__(self, *args: Any, headers: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in FIELDS:
            self.fields[f"col_{name}"] = forms.CharField(
                label=FIELD_LABELS[name],
                max_length=120,
                required=name not in OPTIONAL_FIELDS,
                widget=forms.TextInput(attrs={"list": "sample-headers", "autocomplete": "off"}),
            )
        self.headers = headers or []

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"col_{name}"] for name in FIELDS]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("date_format", "cost", "numbers", "header_search",
                                        "extra_columns", "summary_markers")]  # fmt: skip

    def layout(self) -> PositionMapping:
        data = self.cleaned_data
        markers = tuple(
            m.strip().lower() for m in data.get("summary_markers", "").split(",") if m.strip()
        )
        return PositionMapping(
            **{name: data.get(f"col_{name}", "").strip() for name in FIELDS},
            date_format=data["date_format"],
            cost=data["cost"],
            numbers=data["numbers"],
            header_search=data["header_search"],
            extra_columns=data["extra_columns"],
            summary_markers=markers,
        )


def initial_of(saved: ColumnMapping) -> dict[str, Any]:
    layout = layout_of(saved)
    initial: dict[str, Any] = {
        "name": saved.name,
        "custodian": saved.custodian,
        "date_format": layout.date_format,
        "cost": layout.cost,
        "numbers": layout.numbers,
        "header_search": layout.header_search,
        "extra_columns": layout.extra_columns,
        "summary_markers": ", ".join(layout.summary_markers),
    }
    return initial | {f"col_{name}": getattr(layout, name) for name in FIELDS}


def initial_from_sample(sample: Sample) -> dict[str, Any]:
    initial: dict[str, Any] = {f"col_{k}": v for k, v in sample.guesses.items()}
    return initial | {"header_search": sample.header_line > 1, "extra_columns": True}


def _can_edit(request: HttpRequest) -> bool:
    return request.membership.role == Role.ADMIN


def _get(mapping_id: int) -> ColumnMapping:
    try:
        return ColumnMapping.objects.select_related("created_by").get(pk=mapping_id)
    except ColumnMapping.DoesNotExist:
        raise Http404("No such mapping.") from None


@member_required(Role.ADMIN, Role.COMPLIANCE)
def mapping_list(request: HttpRequest) -> HttpResponse:
    return _list(request, SampleForm())


def _list(request: HttpRequest, form: SampleForm, status: int = 200) -> HttpResponse:
    context = {
        "mappings": current_mappings().order_by("name"),
        "sample_form": form,
        "can_edit": _can_edit(request),
    }
    return render(request, LIST, context, status=status)


@member_required(Role.ADMIN, write=True)
@require_POST
@bounded_upload
def mapping_sample(request: HttpRequest) -> HttpResponse:
    """Read a sample file's header and first rows and offer a mapping form (nothing saved)."""
    form = SampleForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list(request, form)
    try:
        sample = read_sample(form.cleaned_data["file"])
    except FileError as exc:
        form.add_error("file", f"The {exc}.")
        return _list(request, form)
    mapping_form = MappingForm(initial=initial_from_sample(sample), headers=sample.headers)
    return _edit_page(request, mapping_form, sample=sample)


def _edit_page(
    request: HttpRequest,
    form: MappingForm,
    *,
    sample: Sample | None = None,
    saved: ColumnMapping | None = None,
) -> HttpResponse:
    context = {"form": form, "sample": sample, "saved": saved, "headers": form.headers}
    return render(request, EDIT, context)


@member_required(Role.ADMIN, write=True)
@require_POST
def mapping_create(request: HttpRequest) -> HttpResponse:
    headers = request.POST.getlist("sample_header")[:60]
    form = MappingForm(request.POST, headers=headers)
    if form.is_valid():
        try:
            saved = save_mapping(
                request.firm,
                name=form.cleaned_data["name"],
                custodian=form.cleaned_data["custodian"],
                layout=form.layout(),
                actor=request.user,
            )
        except MappingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {saved.name}, version {saved.version}.")
            return redirect("column_mapping", mapping_id=saved.pk)
    return _edit_page(request, form)


@member_required(Role.ADMIN, Role.COMPLIANCE, write=True)
def mapping_detail(request: HttpRequest, mapping_id: int) -> HttpResponse:
    """One version, its history, and (for admins, on the current version) the edit form."""
    saved = _get(mapping_id)
    form = None
    if _can_edit(request) and saved.is_current:
        if request.method == "POST":
            form = MappingForm(request.POST, initial={"name": saved.name})
            form.fields["name"].disabled = True  # a new version keeps the name
            if form.is_valid():
                try:
                    new = save_mapping(
                        request.firm,
                        name=saved.name,
                        custodian=form.cleaned_data["custodian"],
                        layout=form.layout(),
                        actor=request.user,
                        edits=saved,
                    )
                except MappingError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"Saved {new.name}, version {new.version}.")
                    return redirect("column_mapping", mapping_id=new.pk)
        else:
            form = MappingForm(initial=initial_of(saved))
            form.fields["name"].disabled = True
    elif request.method == "POST":
        messages.error(request, "Only the current version can be edited.")
        return redirect("column_mapping", mapping_id=saved.pk)
    versions = ColumnMapping.objects.filter(name=saved.name).select_related("created_by")
    layout = layout_of(saved)
    context = {
        "saved": saved,
        "layout": layout,
        "columns": [(FIELD_LABELS[n], getattr(layout, n)) for n in FIELDS],
        "date_label": DATE_FORMATS.get(layout.date_format, layout.date_format),
        "versions": versions.order_by("-version"),
        "form": form,
        "current": versions.filter(is_current=True).first(),
    }
    return render(request, DETAIL, context)
