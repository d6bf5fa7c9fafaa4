"""Disclosure pages for firm admins and compliance officers: list, history with diffs,
edit (proposes a new version), approve (compliance only, enforced by the workflow).

Lookups by id go through the firm's scoped managers, so another firm's id is a 404.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from advisory.access import member_required
from advisory.mfa.stepup import require_stepup
from advisory.models import Role

from .. import disclosures as workflow
from ..forms import ApproveForm, DisclosureCreateForm, DisclosureTextForm
from ..models import Disclosure, DisclosureVersion
from ..report_types import REPORT_TYPES, missing_disclosures

DISCLOSURE_ROLES = (Role.ADMIN, Role.COMPLIANCE)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added" or "removed"
    text: str


def line_diff(before: str, after: str) -> list[DiffLine]:
    """Every line of ``after`` and the removed lines of ``before``, marked, in order."""
    lines: list[DiffLine] = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        tag, text = line[:2], line[2:]
        if not text.strip():  # paragraph breaks: spacing, not a change worth a line
            continue
        if tag == "  ":
            lines.append(DiffLine("same", text))
        elif tag == "+ ":
            lines.append(DiffLine("added", text))
        elif tag == "- ":
            lines.append(DiffLine("removed", text))
    return lines


def _disclosure(disclosure_id: int) -> Disclosure:
    try:
        return Disclosure.objects.get(pk=disclosure_id)
    except Disclosure.DoesNotExist:
        raise Http404("No such disclosure.") from None


def _version(version_id: int) -> DisclosureVersion:
    try:
        return DisclosureVersion.objects.select_related("disclosure", "author", "approved_by").get(
            pk=version_id
        )
    except DisclosureVersion.DoesNotExist:
        raise Http404("No such disclosure version.") from None


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@member_required(*DISCLOSURE_ROLES)
def disclosure_list(request: HttpRequest) -> HttpResponse:
    disclosures = list(Disclosure.objects.order_by("title"))
    versions = DisclosureVersion.objects.order_by("number").values(
        "disclosure_id", "number", "approved_at"
    )
    latest: dict[int, int] = {}
    approved: dict[int, dict] = {}
    for v in versions:
        latest[v["disclosure_id"]] = v["number"]
        if v["approved_at"] is not None:
            approved[v["disclosure_id"]] = v
    rows = [
        {
            "disclosure": d,
            "approved": approved.get(d.pk),
            "latest": latest.get(d.pk),
            "pending": latest.get(d.pk, 0) > approved.get(d.pk, {}).get("number", 0),
        }
        for d in disclosures
    ]
    requirements = [
        {"report_type": report_type, "missing": missing_disclosures(report_type)}
        for report_type in REPORT_TYPES.values()
    ]
    return render(
        request,
        "reports/disclosures/list.html",
        {"rows": rows, "requirements": requirements},
    )


@member_required(*DISCLOSURE_ROLES)
def disclosure_create(request: HttpRequest) -> HttpResponse:
    form = DisclosureCreateForm(
        request.POST if request.method == "POST" else None,
        initial={"key": request.GET.get("key", "")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            disclosure = workflow.create_disclosure(
                firm=request.firm,
                key=form.cleaned_data["key"],
                title=form.cleaned_data["title"],
                author=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Disclosure “{disclosure.title}” created: write its text.")
            return redirect("disclosure_edit", disclosure_id=disclosure.pk)
    return render(request, "reports/disclosures/create.html", {"form": form})


@member_required(*DISCLOSURE_ROLES)
def disclosure_detail(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    disclosure = _disclosure(disclosure_id)
    versions = list(
        DisclosureVersion.objects.filter(disclosure=disclosure)
        .select_related("author", "approved_by")
        .order_by("number")
    )
    history = []
    previous: str | None = None  # the first version has nothing to differ from: shown plain
    for version in versions:
        diff = line_diff(previous, version.text) if previous is not None else None
        history.append({"version": version, "diff": diff})
        previous = version.text
    history.reverse()  # newest first
    current = next((v for v in reversed(versions) if v.approved_at is not None), None)
    return render(
        request,
        "reports/disclosures/detail.html",
        {
            "disclosure": disclosure,
            "history": history,
            "current": current,
            "newest_number": versions[-1].number if versions else None,
            "is_compliance": request.membership.role == Role.COMPLIANCE,
        },
    )


@member_required(*DISCLOSURE_ROLES)
def disclosure_edit(request: HttpRequest, disclosure_id: int) -> HttpResponse:
    disclosure = _disclosure(disclosure_id)
    latest = workflow.latest_version(disclosure)
    form = DisclosureTextForm(
        request.POST if request.method == "POST" else None,
        initial={"text": latest.text if latest else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            version = workflow.propose_version(
                disclosure=disclosure, text=form.cleaned_data["text"], author=request.user
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, f"Version {version.number} proposed: it awaits a compliance approval."
            )
            return redirect("disclosure_detail", disclosure_id=disclosure.pk)
    return render(
        request,
        "reports/disclosures/edit.html",
        {"disclosure": disclosure, "latest": latest, "form": form},
    )


@member_required(*DISCLOSURE_ROLES)
def disclosure_approve(request: HttpRequest, version_id: int) -> HttpResponse:
    version = _version(version_id)
    # Who may approve (compliance) confirms with a fresh second factor; others get the
    # workflow's audited refusal as before.
    needed = request.method == "POST" and request.membership.role == Role.COMPLIANCE
    if (refusal := require_stepup(request, when=needed)) is not None:
        return refusal
    form = ApproveForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            workflow.approve_version(version=version, approver=request.user)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            status = 403
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Version {version.number} approved.")
            return redirect("disclosure_detail", disclosure_id=version.disclosure_id)
    return render(
        request,
        "reports/disclosures/approve.html",
        {
            "version": version,
            "disclosure": version.disclosure,
            "form": form,
            "is_compliance": request.membership.role == Role.COMPLIANCE,
        },
        status=status,
    )
