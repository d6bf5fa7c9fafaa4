"""Examination exports for compliance officers and firm admins: ask for a period, watch it
being made (htmx polls the row until it is ready), download the zip. Starting and
downloading are audited; another firm's export id is a 404."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseStopPolling

from advisory import audit_actions as actions
from advisory.access import member_required
from advisory.audit import record
from advisory.mfa.stepup import require_stepup, stepup_required

from ..models import RecordsExport
from ..records.export import ExportError
from ..records.runs import OFFICERS, start_export
from ..tasks import export_records_task


def _get_export(export_id: int) -> RecordsExport:
    try:
        return RecordsExport.objects.select_related("requested_by").get(pk=export_id)
    except RecordsExport.DoesNotExist:
        raise Http404("No such export.") from None


def _parse(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@member_required(*OFFICERS)
@stepup_required(methods=("POST",))
def records_exports(request: HttpRequest) -> HttpResponse:
    today = timezone.now().date()
    error = ""
    date_from = request.POST.get("date_from", "") or (today - dt.timedelta(days=365)).isoformat()
    date_to = request.POST.get("date_to", "") or today.isoformat()
    if request.method == "POST":
        start, end = _parse(date_from), _parse(date_to)
        if start is None or end is None:
            error = "Give both dates as YYYY-MM-DD."
        else:
            try:
                export = start_export(
                    firm=request.firm, user=request.user, date_from=start, date_to=end
                )
            except ExportError as exc:
                error = str(exc)
            else:
                firm_id = request.firm.pk
                transaction.on_commit(lambda: export_records_task.delay(firm_id, export.pk))
                messages.success(request, f"Export #{export.pk} started: it appears below.")
                return redirect("records_exports")
    return render(
        request,
        "reports/records/exports.html",
        {
            "exports": RecordsExport.objects.select_related("requested_by")[:25],
            "date_from": date_from,
            "date_to": date_to,
            "error": error,
        },
        status=400 if error else 200,
    )


@member_required(*OFFICERS)
@require_safe
def records_export_state(request: HttpRequest, export_id: int) -> HttpResponse:
    """One export's row; tells htmx to stop polling once it is ready or failed."""
    export = _get_export(export_id)
    response = render(request, "reports/records/_export_row.html", {"export": export})
    if not export.active and request.htmx:
        return HttpResponseStopPolling(response.content)
    return response


@member_required(*OFFICERS)
@require_safe
def records_export_download(request: HttpRequest, export_id: int) -> HttpResponse:
    export = _get_export(export_id)  # first: another firm's id stays a 404, not a prompt
    if (refusal := require_stepup(request)) is not None:
        return refusal
    if not export.file.name or not default_storage.exists(export.file.name):
        raise Http404("This export has no file (yet).")
    handle = default_storage.open(export.file.name, "rb")
    record(firm=request.firm, action=actions.RECORDS_DOWNLOADED.code, obj=export)
    name = f"records-{request.firm.slug}-{export.date_from}-{export.date_to}-{export.pk}.zip"
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response
