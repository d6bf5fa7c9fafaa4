"""The compliance officer's workspace: audit search, per-object timelines, who saw what,
review queues, and exports of any of it. Compliance and firm admins only; everything in the
firm's scope."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from config.db_routing.router import use_replica

from .. import audit_actions as actions
from ..access import member_required
from ..mfa.stepup import stepup_required
from ..models import Role
from . import audit_search, exports, filters, readable, review_queues, seen

PAGE_SIZE = 50
OFFICERS = (Role.COMPLIANCE, Role.ADMIN)
DEFAULT_DAYS = 30
SEEN_PAGE_SIZE = 200  # objects per page of who-saw-what; the CSV export has them all


def _search_context(request: HttpRequest) -> tuple[filters.Filters, dict]:
    f = filters.parse_filters(request.GET)
    grouped = actions.by_category()
    return f, {
        "filters": f,
        "filtered": f.filtered,
        "categories": list(actions.CATEGORIES.items()),
        "action_groups": [(k, actions.CATEGORIES[k], m) for k, m in grouped.items() if m],
        "object_types": [(k, label) for k, (label, _s) in filters.OBJECT_TYPES.items()],
        "roles": filters.ROLES,
    }


@member_required(*OFFICERS)
@require_safe
def search(request: HttpRequest) -> HttpResponse:
    """Audit search (``audit_log``): filtered, newest first, a page at a time."""
    f, context = _search_context(request)
    page = Paginator(audit_search.search(f), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = readable.decorate(list(page.object_list), request.firm.pk)
    context["page"] = page
    template = "advisory/audit_log.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#audit-table"
    return render(request, template, context)


EXPORT_FORMATS = ("csv", "json")


@member_required(*OFFICERS)
@require_POST
@stepup_required()
def search_export(request: HttpRequest) -> HttpResponse:
    """The search's selection (filters posted back), streamed as CSV or JSON. A POST: the
    export is itself an audit event."""
    fmt = request.POST.get("format", "")
    f = filters.parse_filters(request.POST)
    if fmt not in EXPORT_FORMATS:
        f.errors.append("Choose CSV or JSON to export.")
    if f.errors:
        return HttpResponseBadRequest("Export refused: " + " ".join(f.errors))
    events = audit_search.search(f)
    return exports.stream(request.firm, events, what="audit-events", fmt=fmt, filters=f.as_dict())


@member_required(*OFFICERS)
@require_safe
def object_timeline(request: HttpRequest, object_type: str, object_id: int) -> HttpResponse:
    if object_type not in filters.TIMELINE_TYPES:
        raise Http404("No timeline for this kind of object.")
    subject = audit_search.timeline_subject(object_type, object_id)
    events = readable.decorate(list(audit_search.timeline(object_type, object_id)), request.firm.pk)
    if subject is None and not events:
        raise Http404("Nothing of that id in this firm.")
    if subject is None:
        about = [e for e in events if e.object_id == str(object_id)]
        subject = (about[0].object_repr if about else "") or f"#{object_id}"
    return render(
        request,
        "advisory/compliance/timeline.html",
        {
            "kind": object_type,
            "kind_label": filters.OBJECT_TYPES[object_type][0],
            "object_id": object_id,
            "subject": subject,
            "events": events,
        },
    )


def _window_params(params: QueryDict) -> tuple[str, str, list[str]]:
    errors: list[str] = []
    today = timezone.now().astimezone(dt.UTC).date()
    raw_from = params.get("from", "").strip()
    raw_to = params.get("to", "").strip()
    start = filters.parse_date(raw_from, "From", errors) if raw_from else None
    end = filters.parse_date(raw_to, "To", errors) if raw_to else None
    end = end or today
    start = start or end - dt.timedelta(days=DEFAULT_DAYS)
    if start > end:
        errors.append("From is after To: swap them.")
    return start.isoformat(), end.isoformat(), errors


def _seen(params: QueryDict) -> dict:
    date_from, date_to, errors = _window_params(params)
    actor = params.get("actor", "").strip()
    ip = params.get("ip", "").strip()
    if ip and not filters.IP_PREFIX_RE.match(ip):
        errors.append(f"IP: {ip!r} is not an address or the start of one.")
        ip = ""
    token_text = params.get("token", "").strip()  # issue 13: an API token's id or prefix
    token = filters.parse_token(token_text, errors)
    asked = bool(actor or ip or token_text)
    rows = []
    if asked and not errors:
        events = seen.read_events(
            actor=actor, ip=ip, date_from=date_from, date_to=date_to, token=token
        )
        rows = seen.who_saw_what(events)
    return {
        "actor": actor,
        "ip": ip,
        "token": token_text,
        "date_from": date_from,
        "date_to": date_to,
        "errors": errors,
        "asked": asked,
        "rows": rows,
        "filters": {
            k: v
            for k, v in {
                "actor": actor,
                "ip": ip,
                "token": token_text,
                "from": date_from,
                "to": date_to,
            }.items()
            if v
        },
    }


@member_required(*OFFICERS)
@require_safe
def who_saw_what(request: HttpRequest) -> HttpResponse:
    """Regulation S-P: what one user (or IP) viewed or downloaded in a window, a page of
    objects at a time (the CSV export has them all)."""
    context = _seen(request.GET)
    page = Paginator(context["rows"], SEEN_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(rows=page.object_list, page=page, total=len(context["rows"]))
    return render(request, "advisory/compliance/who_saw_what.html", context)


@member_required(*OFFICERS)
@require_POST
@stepup_required()
def who_saw_what_csv(request: HttpRequest) -> HttpResponse:
    with use_replica(fresh_since=timezone.now()):  # every view up to the moment asked
        context = _seen(request.POST)
    if context["errors"] or not context["asked"]:
        if not context["asked"]:
            context["errors"].append("Give a user, an IP or an API token to export.")
        return HttpResponseBadRequest("Export refused: " + " ".join(context["errors"]))
    return exports.seen_csv(request.firm, context["rows"], context["filters"])


@member_required(*OFFICERS)
@require_safe
def review(request: HttpRequest) -> HttpResponse:
    """Review queues for a period: approvals, releases, sign-in anomalies, membership changes."""
    date_from, date_to, errors = _window_params(request.GET)
    context = {"date_from": date_from, "date_to": date_to, "errors": errors}
    if not errors:
        approvals = review_queues.approvals(date_from, date_to)
        releases = review_queues.releases(date_from, date_to)
        failed = list(review_queues.failed_logins(date_from, date_to)[:200])
        lockouts = list(review_queues.lockouts(date_from, date_to)[:200])
        new_ips = review_queues.new_ip_logins(date_from, date_to)[:200]
        memberships = readable.decorate(
            list(review_queues.membership_changes(date_from, date_to)[:200]), request.firm.pk
        )
        context.update(
            approvals=approvals,
            flagged=sum(1 for a in approvals if a.self_approval or a.approver_edited),
            releases=releases,
            failed=failed,
            lockouts=lockouts,
            new_ips=new_ips,
            memberships=memberships,
        )
    return render(request, "advisory/compliance/review.html", context)
