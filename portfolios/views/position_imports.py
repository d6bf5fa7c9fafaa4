"""A staged position import: its progress (large files), preview, confirm, cancel and undo.

Admins confirm, cancel and undo; compliance reads. Another firm's import id
is a 404 (the scoped manager), never a 403. The work is done by
:mod:`portfolios.imports.staging`; large files go to a Celery task and this
page polls a small progress partial.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from advisory.access import member_required
from advisory.models import Role
from portfolios.imports import staging
from portfolios.models import ImportState, PositionImport
from portfolios.tasks import apply_position_import

PAGE = "portfolios/position_import.html"
# The preview's figures are stored as text (JSON); the page formats them as numbers.
NUMBERS = ("quantity_before", "quantity_after", "value_before", "value_after", "value_change")


def _displayed(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, **{k: Decimal(row[k]) for k in NUMBERS if row.get(k) not in (None, "")}}


def _get(import_id: int) -> PositionImport:
    try:
        return PositionImport.objects.select_related("created_by").get(pk=import_id)
    except PositionImport.DoesNotExist:
        raise Http404("No such import.") from None


def _context(request: HttpRequest, job: PositionImport) -> dict[str, Any]:
    is_admin = request.membership.role == Role.ADMIN
    preview = job.preview or {}
    return {
        "job": job,
        "preview": preview,
        "shown_accounts": [_displayed(row) for row in preview.get("accounts", [])],
        "hidden_accounts": max(
            0, preview.get("accounts_total", 0) - len(preview.get("accounts", []))
        ),
        "can_confirm": is_admin and job.state == ImportState.PREVIEW,
        "can_restore": is_admin
        and job.state == ImportState.APPLIED
        and staging.last_applied() == job,
    }


@member_required(Role.ADMIN, Role.COMPLIANCE)
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    job = _get(import_id)
    return render(request, PAGE, _context(request, job))


@member_required(Role.ADMIN, Role.COMPLIANCE)
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The progress partial; once the task is done, htmx reloads the whole page (the preview)."""
    job = _get(import_id)
    if not job.is_active and request.htmx:
        return HttpResponseClientRedirect(reverse("position_import", args=[job.pk]))
    return render(request, f"{PAGE}#progress", _context(request, job))


@member_required(Role.ADMIN, write=True)
@require_POST
def import_confirm(request: HttpRequest, import_id: int) -> HttpResponse:
    job = _get(import_id)
    try:
        if job.run_async:
            staging.start_apply(request.firm.pk, job.pk)
            firm_id, user_id = request.firm.pk, request.user.pk
            transaction.on_commit(lambda: apply_position_import.delay(firm_id, job.pk, user_id))
            messages.info(request, "Confirmed: the file is being applied.")
        else:
            result = staging.apply_staged(request.firm.pk, job.pk, actor=request.user)
            messages.success(request, f"Applied: {result.written:,} lots written.")
    except staging.ImportRefused as exc:
        messages.error(request, str(exc))
    return redirect("position_import", import_id=job.pk)


@member_required(Role.ADMIN, write=True)
@require_POST
def import_cancel(request: HttpRequest, import_id: int) -> HttpResponse:
    job = _get(import_id)
    try:
        staging.cancel(request.firm.pk, job.pk, actor=request.user)
        messages.info(request, "Cancelled: nothing was applied.")
    except staging.ImportRefused as exc:
        messages.error(request, str(exc))
    return redirect("position_import", import_id=job.pk)


@member_required(Role.ADMIN, write=True)
@require_POST
def import_restore(request: HttpRequest, import_id: int) -> HttpResponse:
    job = _get(import_id)
    try:
        restored = staging.restore(request.firm.pk, job.pk, actor=request.user)
        messages.success(request, f"Previous holdings restored: {restored:,} lots.")
    except staging.ImportRefused as exc:
        messages.error(request, str(exc))
    return redirect("position_import", import_id=job.pk)
