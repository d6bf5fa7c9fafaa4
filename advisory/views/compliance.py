"""The audit trail as compliance reads it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .. import audit_actions as actions
from ..access import member_required
from ..audit import verify_chain
from ..models import AuditEvent, Role

PAGE_SIZE = 50


@member_required(Role.COMPLIANCE, Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    """One page of the firm's events, newest first, filtered by GET parameters.

    ``category`` and ``code`` are chosen from the registry (anything else is
    ignored); ``action``, ``actor`` and ``object`` are free-text "contains"
    filters, so codes no longer registered can still be found.
    """
    events = AuditEvent.objects.order_by("-seq")
    category = request.GET.get("category", "").strip()
    code = request.GET.get("code", "").strip()
    filters = {
        "category": category if category in actions.CATEGORIES else "",
        "code": code if code in actions.REGISTRY else "",
        "action": request.GET.get("action", "").strip(),
        "actor": request.GET.get("actor", "").strip(),
        "object": request.GET.get("object", "").strip(),
    }
    grouped = actions.by_category()
    if filters["category"]:
        events = events.filter(action__in=actions.codes(grouped[filters["category"]]))
    if filters["code"]:
        events = events.filter(action=filters["code"])
    if filters["action"]:
        events = events.filter(action__icontains=filters["action"])
    if filters["actor"]:
        events = events.filter(actor_label__icontains=filters["actor"])
    if filters["object"]:
        events = events.filter(object_repr__icontains=filters["object"])
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for event in page.object_list:
        event.action_label = actions.label_of(event.action)
    template = "advisory/audit_log.html"
    if request.htmx:
        template += "#audit-table"
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(filters.values()),
        "categories": list(actions.CATEGORIES.items()),
        "action_groups": [
            (key, actions.CATEGORIES[key], members) for key, members in grouped.items() if members
        ],
    }
    return render(request, template, context)


@member_required(Role.COMPLIANCE, Role.ADMIN)
def audit_verify(request: HttpRequest) -> HttpResponse:
    report = verify_chain(request.firm)
    return render(request, "advisory/audit_verify.html", {"report": report})
