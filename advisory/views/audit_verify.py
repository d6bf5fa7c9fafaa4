"""The audit chain verification page: last result, last pass, and a run with progress."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseStopPolling

from ..access import member_required
from ..chain.runs import start_verification
from ..models import AuditVerification, Role, VerificationState
from ..tasks import verify_audit_chain


@member_required(Role.COMPLIANCE, Role.ADMIN)
def audit_verify(request: HttpRequest) -> HttpResponse:
    """GET shows the latest verification and when the chain last passed; POST starts a run
    (a Celery task), which compliance may do although its role is otherwise read-only."""
    if request.method == "POST":
        verification, created = start_verification(request.firm, request.user)
        if created:
            ids = (request.firm.pk, verification.pk)
            transaction.on_commit(lambda: verify_audit_chain.delay(*ids))
        return redirect("audit_verify")
    recent = AuditVerification.objects.select_related("started_by").order_by("-started_at")
    context = {
        "verification": recent.first(),
        "last_passed": recent.filter(state=VerificationState.PASSED)
        .order_by("-finished_at")
        .first(),
        "history": list(recent[:10]),
    }
    return render(request, "advisory/audit_verify.html", context)


@member_required(Role.COMPLIANCE, Role.ADMIN)
def audit_verify_progress(request: HttpRequest, verification_id: int) -> HttpResponse:
    """The progress fragment; tells htmx to stop polling once the run has ended."""
    try:
        verification = AuditVerification.objects.get(pk=verification_id)
    except AuditVerification.DoesNotExist:
        raise Http404("No such verification.") from None
    response = render(request, "advisory/_audit_verify_state.html", {"verification": verification})
    if not verification.active and request.htmx:
        return HttpResponseStopPolling(response.content)
    return response
