"""Report pages for the advisor's side: generate a household report for a month, release it
to the client, download the archived PDF.

Generate and release are for firm admins and the household's advisors; download for every
staff role that can see the household. Reports are looked up through the scoped manager and
the households the membership can see, so another firm's report (or a hidden household's) is
a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.access import get_household_for, households_for, member_required
from advisory.audit import record
from advisory.models import ADVISING_ROLES, STAFF_ROLES, Membership

from ..archive import generate_report, release_report
from ..models import ArchivedReport
from ..periods import parse_month
from ..queries import download_name
from ..report_types import DisclosureMissing


def _report_for(membership: Membership, report_id: int) -> ArchivedReport:
    try:
        return ArchivedReport.objects.select_related("household").get(
            pk=report_id, household__in=households_for(membership)
        )
    except ArchivedReport.DoesNotExist:
        raise Http404("No such report.") from None


def _back(household_id: int) -> HttpResponse:
    response = redirect("household_detail", household_id=household_id)
    response["Location"] += "#reports"
    return response


@member_required(*ADVISING_ROLES, write=True)
def report_generate(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    if request.method != "POST":
        return _back(household.pk)
    period = parse_month(request.POST.get("period", ""))
    if period is None:
        messages.error(request, "Choose a month for the report (YYYY-MM).")
        return _back(household.pk)
    start, end = period
    if end >= timezone.localdate():
        messages.error(request, "Reports are for complete months; choose a month that has ended.")
        return _back(household.pk)
    try:
        report = generate_report(
            household=household, period_start=start, period_end=end, actor=request.user
        )
    except DisclosureMissing as exc:
        messages.error(request, str(exc))
        return _back(household.pk)
    messages.success(
        request, f"Report #{report.pk} for {start:%B %Y} generated and archived (not released)."
    )
    return _back(household.pk)


@member_required(*ADVISING_ROLES, write=True)
def report_release(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for(request.membership, report_id)
    if request.method != "POST":
        return _back(report.household_id)
    try:
        release_report(report=report, actor=request.user)
    except ValidationError as exc:
        messages.info(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Report #{report.pk} released to the client.")
    return _back(report.household_id)


@member_required(*STAFF_ROLES)
def report_download(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for(request.membership, report_id)
    name = report.file.name
    if not name or not default_storage.exists(name):
        raise Http404("The report's file is missing.")
    handle = default_storage.open(name, "rb")
    record(firm=request.firm, action=actions.REPORT_DOWNLOADED.code, obj=report)
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(report), content_type="application/pdf"
    )
    response["Cache-Control"] = "no-store"
    return response
