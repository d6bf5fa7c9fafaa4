"""Model portfolio pages: the list, a model with its live lines, draft and history, the
create and edit forms (a formset of lines), and the draft / retire buttons.

Firm admins and advisors write, compliance reads, clients never see these pages.
Thin views: :mod:`portfolios.model_versions` checks, versions and audits every change;
these views turn its errors into messages next to the row they concern.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from advisory.access import households_for, member_required
from advisory.models import ADVISING_ROLES, STAFF_ROLES
from portfolios import model_versions as mv
from portfolios.bands import DEFAULT_ABS_BAND, DEFAULT_REL_BAND
from portfolios.model_versions.forms import (
    LineFormSet,
    ModelInfoForm,
    initial_rows,
    kept_forms,
    running_total,
)
from portfolios.model_versions.lines import Line, Names, ordered, plain
from portfolios.models import HUNDRED, ModelPortfolio, ModelVersion, ModelVersionState
from portfolios.views.preview_form import PreviewForm

WRITERS = ADVISING_ROLES
READERS = STAFF_ROLES
PREFIX = "lines"
V = ModelVersionState


def get_model(model_id: int) -> ModelPortfolio:
    """The model of the active firm; another firm's id looks exactly like a missing one."""
    try:
        return ModelPortfolio.objects.get(pk=model_id)
    except ModelPortfolio.DoesNotExist:
        raise Http404("No such model.") from None


# --- Reading -----------------------------------------------------------------------------


@member_required(*READERS)
def model_list(request: HttpRequest) -> HttpResponse:
    models = list(
        ModelPortfolio.objects.annotate(
            household_count=Count("households", distinct=True),
            account_count=Count("accounts", distinct=True),
            last_change=Max("versions__created_at"),
        ).order_by("retired_at", "name")
    )
    drafts = set(ModelVersion.objects.filter(state=V.DRAFT).values_list("model_id", flat=True))
    for m in models:
        m.has_draft = m.pk in drafts
    return render(
        request,
        "portfolios/models/model_list.html",
        {"models": models, "can_write": request.membership.can_write},
    )


@member_required(*READERS)
def model_detail(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    live = mv.current_lines(model)
    versions = list(model.versions.select_related("created_by").order_by("number"))
    draft = next((v for v in versions if v.state == V.DRAFT), None)
    draft_lines = mv.lines_of(draft) if draft else []
    names = Names.for_lines(live, draft_lines, *(mv.lines_of(v) for v in versions))
    households = households_for(request.membership).filter(model=model).order_by("name")
    household_count, account_count = mv.followers(model)
    context = {
        "model": model,
        "lines": _rows(live, names),
        "draft": draft,
        "draft_lines": _rows(draft_lines, names),
        "draft_changes": mv.compare(live, draft_lines, names) if draft else [],
        "history": _history(versions, names),
        "households": households[:50],
        "household_count": household_count,
        "account_count": account_count,
        "can_write": request.membership.can_write,
        "previews": model.previews.select_related("version", "requested_by")[:10],
        "preview_form": PreviewForm(),
    }
    return render(request, "portfolios/models/model_detail.html", context)


def _rows(lines: list[Line], names: Names) -> list[dict[str, Any]]:
    return [
        {
            "kind": "Asset class" if x.asset_class_id is not None else "Security",
            "label": names.label(x),
            "weight": plain(x.weight),
            "abs_band": plain(x.abs_band),
            "rel_band": plain(x.rel_band),
            "preferred": names.symbol(x.preferred_security_id),
            "equivalents": [names.symbol(s) for s in x.equivalent_ids],
        }
        for x in ordered(lines)
    ]


def _history(versions: list[ModelVersion], names: Names) -> list[dict[str, Any]]:
    """Newest first; each version with what changed from the version live before it."""
    out = []
    published: list[Line] | None = None
    for v in versions:  # oldest first
        lines = mv.lines_of(v)
        changes = mv.compare(published, lines, names) if published is not None else None
        out.append({"version": v, "changes": changes})
        if v.state in (V.LIVE, V.SUPERSEDED):
            published = lines
    return out[::-1]


# --- Writing -----------------------------------------------------------------------------


@member_required(*WRITERS, write=True)
def model_create(request: HttpRequest) -> HttpResponse:
    info = _info_form(request, creating=True)
    blank = [{"abs_band": "5", "rel_band": "25"}]  # one row to start from
    formset = LineFormSet(
        request.POST or None, prefix=PREFIX, initial=None if request.POST else blank
    )
    if request.method == "POST" and request.POST.get("action") in ("publish", None):
        lines = _lines_of(info, formset)
        if lines is not None:
            try:
                model = mv.create_model(
                    firm=request.firm,
                    name=info.cleaned_data["name"],
                    description=info.cleaned_data["description"],
                    summary=info.cleaned_data["summary"],
                    lines=lines,
                    actor=request.user,
                )
            except (ValidationError, mv.ModelError) as exc:
                _attach(exc, info, formset)
            else:
                messages.success(request, f"{model.name} created: version 1 is live.")
                return redirect("model_detail", model_id=model.pk)
    return _form_page(request, None, info, formset, status=_status(request, info, formset))


@member_required(*WRITERS, write=True)
def model_edit(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    draft = mv.open_draft(model)
    if request.method != "POST":
        lines = mv.lines_of(draft) if draft else mv.current_lines(model)
        info = ModelInfoForm(initial={"summary": draft.summary if draft else ""})
        formset = LineFormSet(prefix=PREFIX, initial=initial_rows(lines))
        return _form_page(request, model, info, formset)
    info = _info_form(request, creating=False)
    formset = LineFormSet(request.POST, prefix=PREFIX)
    action = request.POST.get("action", "publish")
    if action in ("publish", "draft"):
        posted = _lines_of(info, formset)
        if posted is not None:
            try:
                expected = _posted_int(request, "model_version")
                save = mv.publish_version if action == "publish" else mv.save_draft
                version = save(
                    model=model,
                    lines=posted,
                    summary=info.cleaned_data["summary"],
                    actor=request.user,
                    expected_version=expected,
                )
            except (ValidationError, mv.ModelError) as exc:
                _attach(exc, info, formset)
            else:
                state = "is live" if action == "publish" else "is saved as a draft (not live)"
                messages.success(request, f"Version {version.number} of {model.name} {state}.")
                return redirect("model_detail", model_id=model.pk)
    return _form_page(request, model, info, formset, status=_status(request, info, formset))


def _info_form(request: HttpRequest, *, creating: bool) -> ModelInfoForm:
    """Bound when saving; when only adding a row (or totalling) the typed text comes back
    unchecked, so an unfinished summary is not flagged yet."""
    if request.method != "POST":
        return ModelInfoForm(creating=creating)
    if request.POST.get("action", "publish") in ("publish", "draft"):
        return ModelInfoForm(request.POST, creating=creating)
    typed = {k: request.POST.get(k, "") for k in ("name", "description", "summary")}
    return ModelInfoForm(initial=typed, creating=creating)


def _status(request: HttpRequest, info: ModelInfoForm, formset: Any) -> int:
    """422 when a save was refused (so htmx and tests can tell), 200 for add-a-row."""
    saving = request.method == "POST" and request.POST.get("action", "publish") in (
        "publish",
        "draft",
    )
    has_errors = bool(info.errors or formset.non_form_errors() or any(f.errors for f in formset))
    return 422 if saving and has_errors else 200


def _posted_int(request: HttpRequest, name: str) -> int | None:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None


def _lines_of(info: ModelInfoForm, formset: Any) -> list[Line] | None:
    """The posted lines, or None (errors on the forms) when a field is unreadable."""
    ok = info.is_valid() & formset.is_valid()  # both, so every error shows at once
    if not ok:
        return None
    return [f.to_line() for f in kept_forms(formset)]


def _attach(exc: Exception, info: ModelInfoForm, formset: Any) -> None:
    """Put the service's errors next to what they concern: a row, a field or the top."""
    if isinstance(exc, mv.LinesInvalid):
        rows = kept_forms(formset)
        for index, problems in exc.by_line.items():
            for problem in problems:
                rows[index].add_error(None, problem)
        for problem in exc.general:
            info.add_error(None, problem)
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = field if field in info.fields else None
            for error in errors:
                info.add_error(target, error)
        return
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts:
        info.add_error(None, text)


def _form_page(
    request: HttpRequest,
    model: ModelPortfolio | None,
    info: ModelInfoForm,
    formset: Any,
    status: int = 200,
) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "add":
        formset = _with_extra_row(request, formset)
    if formset.is_bound:
        total = running_total(formset)
    else:
        total = sum((Decimal(row.get("weight") or 0) for row in formset.initial or ()), Decimal(0))
    context = {
        "model": model,
        "info": info,
        "formset": formset,
        "total": None if total is None else plain(total),
        "total_ok": total == HUNDRED,
        "draft": mv.open_draft(model) if model else None,
    }
    template = "portfolios/models/model_form.html"
    if request.htmx and request.POST.get("action") == "total":
        template += "#weights-total"
    return render(request, template, context, status=status)


def _with_extra_row(request: HttpRequest, formset: Any) -> Any:
    data = request.POST.copy()
    key = f"{PREFIX}-TOTAL_FORMS"
    try:
        n = max(0, int(data.get(key, "0")))
    except ValueError:
        return formset
    data[key] = str(n + 1)
    # A bound form shows no initial values: the new row gets the default bands as data.
    data[f"{PREFIX}-{n}-abs_band"] = plain(DEFAULT_ABS_BAND)
    data[f"{PREFIX}-{n}-rel_band"] = plain(DEFAULT_REL_BAND)
    return LineFormSet(data, prefix=PREFIX)


@member_required(*WRITERS, write=True)
@require_POST
def model_draft_live(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    try:
        version = mv.make_draft_live(
            model=model,
            actor=request.user,
            expected_version=_posted_int(request, "model_version"),
        )
    except (ValidationError, mv.ModelError) as exc:
        _error_messages(request, "The draft was not made live", exc)
    else:
        messages.success(request, f"Version {version.number} of {model.name} is live.")
    return redirect("model_detail", model_id=model.pk)


@member_required(*WRITERS, write=True)
@require_POST
def model_draft_discard(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    try:
        version = mv.discard_draft(model=model, actor=request.user)
    except mv.ModelError as exc:
        _error_messages(request, "Nothing was discarded", exc)
    else:
        messages.success(request, f"Draft version {version.number} discarded.")
    return redirect("model_detail", model_id=model.pk)


@member_required(*WRITERS, write=True)
@require_POST
def model_retire(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    try:
        mv.retire_model(model=model, actor=request.user)
    except mv.ModelError as exc:
        _error_messages(request, "Not retired", exc)
    else:
        messages.success(request, f"{model.name} is retired: it takes no new households.")
    return redirect("model_detail", model_id=model.pk)


@member_required(*WRITERS, write=True)
@require_POST
def model_unretire(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    try:
        mv.unretire_model(model=model, actor=request.user)
    except mv.ModelError as exc:
        _error_messages(request, "Not changed", exc)
    else:
        messages.success(request, f"{model.name} is back in use.")
    return redirect("model_detail", model_id=model.pk)


def _error_messages(request: HttpRequest, lead: str, exc: Exception) -> None:
    texts = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for text in texts:
        messages.error(request, f"{lead}: {text}")
