"""Model-change previews: start one on a draft, watch it, read the result, export it,
open one household's would-be trades, commit the draft and draft the proposals.

Staff read (firm totals and per-advisor totals for everyone who may see the model; the
household rows only for the households in the reader's book); advisors and admins start,
commit and draft. Thin views: :mod:`portfolios.model_previews` does the work and audits.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from advisory import audit_actions as actions
from advisory.access import households_for, member_required
from advisory.audit import record
from advisory.models import Account
from advisory.tenancy import scoped_stream
from portfolios import model_versions as mv
from portfolios.model_previews import results
from portfolios.model_previews.commit import CommitError, commit_preview, draft_proposals
from portfolios.model_previews.runs import PreviewError, start_preview
from portfolios.models import ModelPreview, ModelPreviewHousehold, ModelVersionState
from portfolios.proposals.batches import BatchError
from portfolios.rebalance.types import Options
from portfolios.tasks import dispatch_batch, dispatch_preview
from portfolios.valuation import pricing_date
from portfolios.views.models import READERS, WRITERS, get_model
from portfolios.views.preview_form import PreviewForm

PAGE_SIZE = 50


def _get_preview(preview_id: int) -> ModelPreview:
    try:
        return ModelPreview.objects.select_related("version", "model", "requested_by").get(
            pk=preview_id
        )
    except ModelPreview.DoesNotExist:
        raise Http404("No such preview.") from None


@member_required(*WRITERS, write=True)
@require_POST
def preview_start(request: HttpRequest, model_id: int) -> HttpResponse:
    model = get_model(model_id)
    draft = mv.open_draft(model)
    form = PreviewForm(request.POST)
    if draft is None:
        messages.error(request, f"{model.name} has no draft to preview.")
        return redirect("model_detail", model_id=model.pk)
    as_of = pricing_date(firm_id=request.firm.pk)
    if not form.is_valid() or as_of is None:
        messages.error(request, "The preview did not start: " + _form_problem(form, as_of))
        return redirect("model_detail", model_id=model.pk)
    data = form.cleaned_data
    options = Options(
        mode=data["mode"],
        as_of=as_of,
        cash_reserve_pct=data.get("cash_reserve_pct") or Decimal(0),
        min_trade_value=data.get("min_trade_value") or Decimal(0),
    )
    try:
        preview, created = start_preview(
            firm=request.firm, version=draft, user=request.user, options=options
        )
    except PreviewError as exc:
        messages.error(request, f"The preview did not start: {exc}")
        return redirect("model_detail", model_id=model.pk)
    if created:
        transaction.on_commit(lambda: dispatch_preview(preview))
        messages.success(
            request, f"Previewing version {draft.number} over {preview.households:,} households."
        )
    else:
        messages.info(request, "A preview of this draft is already running: here it is.")
    return redirect("model_preview", preview_id=preview.pk)


def _form_problem(form: PreviewForm, as_of) -> str:
    if as_of is None:
        return "there are no prices yet."
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _table_params(request: HttpRequest) -> tuple[str, bool, str]:
    sort = request.GET.get("sort", "gain")
    sort = sort if sort in results.SORTS else "gain"
    descending = request.GET.get("dir", "desc") != "asc"
    show = request.GET.get("show", "all")
    return sort, descending, show if show in results.FILTERS else "all"


def _visible_rows(request: HttpRequest, preview: ModelPreview):
    rows = ModelPreviewHousehold.objects.filter(preview=preview)
    if request.membership.sees_whole_firm:
        return rows
    return rows.filter(household__in=households_for(request.membership))


def _context(request: HttpRequest, preview: ModelPreview) -> dict:
    sort, descending, show = _table_params(request)
    context = {"preview": preview, "sort": sort, "descending": descending, "show": show}
    if preview.state == "complete":
        rows = results.table(_visible_rows(request, preview), sort, descending, show)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        context |= {
            "page": page,
            "firm": preview.totals.get("firm", {}),
            "advisors": preview.totals.get("advisors", []),
            "filters": [
                ("all", "All"),
                ("trades", "Would trade"),
                ("newly_breached", "Newly breached"),
                ("newly_in_band", "Newly in band"),
                ("breached_after", "Still breached after"),
                ("failed", "Cannot propose"),
            ],
            "columns": [
                ("household", "Household", False),
                ("value", "Value ($)", True),
                ("trades", "Trades", True),
                ("turnover", "Turnover ($)", True),
                ("short_term", "Short-term ($)", True),
                ("long_term", "Long-term ($)", True),
                ("gain", "Realised ($)", True),
            ],
            "can_commit": request.membership.can_write
            and preview.version.state == ModelVersionState.DRAFT
            and preview.version.lines == preview.lines,
            "draft_changed": preview.version.state == ModelVersionState.DRAFT
            and preview.version.lines != preview.lines,
            "can_draft": request.membership.can_write
            and preview.version.state == ModelVersionState.LIVE
            and preview.batch_id is None,
            "partial_book": not request.membership.sees_whole_firm,
        }
    return context


@member_required(*READERS)
def preview_detail(request: HttpRequest, preview_id: int) -> HttpResponse:
    preview = _get_preview(preview_id)
    template = "portfolios/model_preview.html"
    if request.htmx and request.GET.get("part") == "table":
        template += "#households"
    return render(request, template, _context(request, preview))


@member_required(*READERS)
def preview_progress(request: HttpRequest, preview_id: int) -> HttpResponse:
    """The progress partial; once the preview ends, the whole page (htmx stops polling)."""
    preview = _get_preview(preview_id)
    if preview.active or not request.htmx:
        return render(request, "portfolios/model_preview.html#progress", {"preview": preview})
    return HttpResponseClientRefresh()  # the finished page has the result: load it whole


@member_required(*READERS)
def preview_household(request: HttpRequest, preview_id: int, household_id: int) -> HttpResponse:
    preview = _get_preview(preview_id)
    row = (
        _visible_rows(request, preview)
        .select_related("household", "advisor__user")
        .filter(household_id=household_id)
        .first()
    )
    if row is None:
        raise Http404("No such household in this preview.")
    accounts = {
        a.pk: a for a in Account.objects.filter(household_id=household_id).only("pk", "name")
    }
    trades = [{**t, "account": accounts.get(t["account_id"])} for t in row.trades]
    return render(
        request,
        "portfolios/model_preview_household.html",
        {"preview": preview, "row": row, "trades": trades},
    )


@member_required(*READERS)
def preview_export(request: HttpRequest, preview_id: int) -> HttpResponse:
    preview = _get_preview(preview_id)
    if preview.state != "complete":
        raise Http404("The preview has not finished.")
    rows = _visible_rows(request, preview)
    with transaction.atomic():
        record(
            firm=request.firm,
            action=actions.MODEL_PREVIEW_EXPORTED.code,
            obj=preview,
            changes={"households": rows.count()},
        )
    stamp = timezone.now().strftime("%Y%m%d")
    name = f"preview-{preview.pk}-{preview.model.name[:40]}-v{preview.version.number}-{stamp}.csv"
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
    body = scoped_stream(request.firm.pk, results.csv_lines(rows))
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["Cache-Control"] = "no-store"
    return response


@member_required(*WRITERS, write=True)
@require_POST
def preview_commit(request: HttpRequest, preview_id: int) -> HttpResponse:
    preview = _get_preview(preview_id)
    expected = request.POST.get("model_version")
    try:
        live = commit_preview(
            preview=preview,
            actor=request.user,
            expected_version=int(expected) if expected and expected.isdigit() else None,
        )
    except (CommitError, ValidationError, mv.ModelError) as exc:
        messages.error(request, f"Not committed: {_message(exc)}")
    else:
        messages.success(
            request,
            f"Version {live.number} of {preview.model.name} is live. Open proposals built on "
            "the previous version are now stale.",
        )
    return redirect("model_preview", preview_id=preview.pk)


@member_required(*WRITERS, write=True)
@require_POST
def preview_drafts(request: HttpRequest, preview_id: int) -> HttpResponse:
    preview = _get_preview(preview_id)
    try:
        batch = draft_proposals(preview=preview, actor=request.user)
    except (CommitError, BatchError, PermissionDenied) as exc:
        messages.error(request, f"No drafts: {_message(exc)}")
        return redirect("model_preview", preview_id=preview.pk)
    firm_id = request.firm.pk
    transaction.on_commit(lambda: dispatch_batch(firm_id, batch.pk, batch.total))
    messages.success(request, f"Drafting proposals for {batch.total:,} households.")
    return redirect("proposal_batch_detail", batch_id=batch.pk)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)
