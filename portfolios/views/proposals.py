"""Rebalance proposals: propose from a household or an account, the list with filters, and
the proposal page. Editing trades is in :mod:`proposal_trades`, the workflow's steps
(submit, approve, reject, cancel, refresh, export) in :mod:`proposal_actions`.

A propose on a household (or account) that already has an open proposal (draft, submitted,
approved or exported: one file may still be at the custodian) is refused with a warning that
names the open ones, unless the form says "create another anyway" (``another=1``); then the
override is audited as ``proposal.open_overridden`` with the new proposal, in one transaction.
The check and the creation are not serialised against a second person proposing at the same
instant: it is a warning for people, not an invariant of the data.

Thin views: the workflow (:mod:`portfolios.proposals.workflow`) checks roles, versions and
states; these views turn its errors into messages next to the right field.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from advisory import audit_actions as actions
from advisory.access import get_account_for, get_household_for, households_for, member_required
from advisory.audit import record
from advisory.models import Account, Household, Membership
from portfolios import queries as portfolio
from portfolios.models import Proposal
from portfolios.proposals import workflow
from portfolios.proposals.core import OPEN_STATES, open_proposals
from portfolios.valuation import pricing_date
from portfolios.views.proposal_forms import ListFilter, ProposeForm
from portfolios.views.proposal_page import (
    READERS,
    WORKFLOW_ERRORS,
    WRITERS,
    error_dict,
    get_proposal,
    render_detail,
)


@member_required(*WRITERS, write=True)
def propose(request: HttpRequest, household_id: int) -> HttpResponse:
    household = get_household_for(request.membership, household_id)
    back = redirect("household_detail", household_id=household.pk)
    return _propose(request, household, None, back)


@member_required(*WRITERS, write=True)
def propose_account(request: HttpRequest, account_id: int) -> HttpResponse:
    account = get_account_for(request.membership, account_id)
    back = redirect("account_detail", account_id=account.pk)
    if account.held_away and request.method == "POST":
        messages.error(request, "No proposal: a held-away account is never traded.")
        return back
    return _propose(request, account.household, account, back)


def _propose(
    request: HttpRequest, household: Household, account: Account | None, back: HttpResponse
) -> HttpResponse:
    if request.method != "POST":
        return back
    form = ProposeForm(request.POST)
    if not form.is_valid():
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for err in errs:
                messages.error(request, f"{label}: {err}" if label else err)
        return back
    as_of = pricing_date(firm_id=request.firm.pk)
    if as_of is None:
        messages.error(request, "There are no prices yet, so nothing can be proposed.")
        return back
    already = list(open_proposals(household.pk, getattr(account, "pk", None)))
    if already and request.POST.get(ANOTHER) != "1":
        messages.warning(request, f"No proposal: {_already_open(household, already)}")
        return back
    try:
        with transaction.atomic():
            proposal = workflow.create_proposal(
                firm=request.firm,
                household=household,
                account=account,
                options=form.options(as_of),
                author=request.user,
            )
            if already:
                record(
                    firm=request.firm,
                    action=actions.PROPOSAL_OPEN_OVERRIDDEN.code,
                    obj=proposal,
                    changes={"open_proposal_ids": [p.pk for p in already]},
                )
    except (*WORKFLOW_ERRORS, ValidationError) as exc:
        for errs in error_dict(exc).values():
            for err in errs:
                messages.error(request, f"No proposal: {err}")
        return back
    messages.success(request, "Draft proposal created: review and edit the trades.")
    return redirect("proposal_detail", proposal_id=proposal.pk)


ANOTHER = "another"  # the propose form's "create another anyway" tick


def _already_open(household: Household, already: list[Proposal]) -> str:
    listed = ", ".join(f"#{p.pk} ({p.get_state_display().lower()})" for p in already)
    noun = "proposal" if len(already) == 1 else "proposals"
    return (
        f"{household.name} already has open {noun} {listed}. Carry on with "
        f"{'it' if len(already) == 1 else 'one of them'}, cancel "
        f"{'it' if len(already) == 1 else 'them'}, or tick “create another anyway”."
    )


# The list's tabs: every proposal (filtered), the open ones, and the approver's queue.
TABS = {"": "All", "open": "Open", "awaiting": "Awaiting my approval"}


@member_required(*READERS)
def proposal_list(request: HttpRequest) -> HttpResponse:
    advisors = list(
        Membership.objects.filter(role__in=WRITERS).select_related("user").order_by("user__email")
    )
    filters = ListFilter(request.GET or None, advisors=advisors)
    tab = request.GET.get("tab", "")
    if tab not in TABS or (tab == "awaiting" and not request.membership.can_write):
        tab = ""
    households = households_for(request.membership)
    qs = (
        Proposal.objects.filter(household__in=households)
        .select_related("household__primary_advisor__user", "author")
        .order_by("-created_at", "-pk")
    )
    if filters.is_bound and filters.is_valid():
        if filters.cleaned_data["state"] and tab == "":
            qs = qs.filter(state=filters.cleaned_data["state"])
        if filters.cleaned_data["advisor"]:
            households = households.filter(primary_advisor=filters.cleaned_data["advisor"])
            qs = qs.filter(household__primary_advisor=filters.cleaned_data["advisor"])
    if tab == "awaiting":
        listed = portfolio.awaiting_approval(request.user, households, limit=100)
    elif tab == "open":
        listed = list(qs.filter(state__in=OPEN_STATES)[:100])
    else:
        listed = list(qs[:100])
    record(
        firm=request.firm,
        action=actions.PROPOSALS_LISTED.code,
        object_repr="Proposal list",
        changes={
            "proposal_ids": [p.pk for p in listed],
            "household_ids": sorted({p.household_id for p in listed}),
        },
    )
    return render(
        request,
        "portfolios/proposal_list.html",
        {
            "filters": filters,
            "proposals": listed,
            "tab": tab,
            "tabs": {
                k: v for k, v in TABS.items() if k != "awaiting" or request.membership.can_write
            },
            "advisor_param": request.GET.get("advisor", ""),
        },
    )


@member_required(*READERS)
def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    proposal = get_proposal(request, proposal_id)
    record(firm=request.firm, action=actions.PROPOSAL_VIEWED.code, obj=proposal)
    return render_detail(request, proposal)
