"""The audit trail as compliance reads it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..access import member_required
from ..audit import verify_chain
from ..models import AuditEvent, Role


@member_required(Role.COMPLIANCE, Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-seq")
    filters = {
        "action": request.GET.get("action", "").strip(),
        "actor": request.GET.get("actor", "").strip(),
        "object": request.GET.get("object", "").strip(),
    }
    if filters["action"]:
        events = events.filter(action__icontains=filters["action"])
    if filters["actor"]:
        events = events.filter(actor_label__icontains=filters["actor"])
    if filters["object"]:
        events = events.filter(object_repr__icontains=filters["object"])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = "advisory/audit_log.html"
    if request.htmx:
        template += "#audit-table"
    return render(request, template, {"page": page, "filters": filters})


@member_required(Role.COMPLIANCE, Role.ADMIN)
def audit_verify(request: HttpRequest) -> HttpResponse:
    report = verify_chain(request.firm)
    return render(request, "advisory/audit_verify.html", {"report": report})
