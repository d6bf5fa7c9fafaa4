"""The client portal's pages. Every one is for the client role alone (staff get 403: they
have their own pages), answers GET and HEAD only, is never cached (``no-store``: a shared
computer's back button must not show someone's money), and is an audit event.

What a client may see comes from :mod:`advisory.access`: their household, and of its
accounts those they own or, when the firm shares households, all of them. Anything else is
a 404, exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portfolios import queries as portfolio
from portfolios.charts import mix_chart, value_chart
from reports import queries as archive

from .. import audit_actions as actions
from ..access import (
    accounts_for,
    get_account_for,
    households_for,
    member_required,
    sees_whole_household,
)
from ..audit import record
from ..models import Household, Membership, Role
from .holdings import account_holdings
from .periods import PERIODS, period_named
from .summary import contact_for, overview

View = Callable[..., HttpResponse]


def portal_page(view: View) -> View:
    """A client page: signed-in client members only, read-only, never cached."""
    return never_cache(member_required(Role.CLIENT)(require_safe(view)))


def _household_of(membership: Membership) -> Household | None:
    return households_for(membership).select_related("primary_advisor__user", "firm").first()


def _household_or_404(membership: Membership) -> Household:
    household = _household_of(membership)
    if household is None:
        raise Http404("No household is linked to this sign-in.")
    return household


@portal_page
def portal(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    household = _household_of(membership)
    if household is None:
        return render(request, "advisory/portal_empty.html")
    accounts = list(accounts_for(membership).filter(household=household).order_by("name", "pk"))
    period = period_named(request.GET.get("period"))
    summary = overview(household, accounts, period)
    whole = sees_whole_household(membership, household)
    documents = archive.released_documents(household) if whole else []
    record(firm=request.firm, action=actions.PORTAL_VIEWED.code, obj=household)
    return render(
        request,
        "advisory/portal/overview.html",
        {
            "summary": summary,
            "value_svg": value_chart(summary.history),
            "value_svg_phone": value_chart(summary.history, width=360, height=180),
            "mix_svg": mix_chart(summary.mix) if summary.has_target and summary.mix else "",
            "period": period,
            "periods": PERIODS,
            "only_own": not whole,
            "recent_documents": documents[:3],
            "client_name": request.user.get_short_name(),
        },
    )


@portal_page
def portal_account(request: HttpRequest, account_id: int) -> HttpResponse:
    membership = request.membership
    account = get_account_for(membership, account_id)
    valuation = portfolio.value_accounts([account])[account.pk]
    holdings = account_holdings(valuation, shows_cost=request.firm.portal_shows_cost_basis)
    record(firm=request.firm, action=actions.PORTAL_ACCOUNT_VIEWED.code, obj=account)
    return render(
        request,
        "advisory/portal/account.html",
        {
            "account": account,
            "holdings": holdings,
            "as_of": portfolio.pricing_date(),
            "contact": contact_for(_household_or_404(membership)),
        },
    )


@portal_page
def portal_documents(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    household = _household_or_404(membership)
    whole = sees_whole_household(membership, household)
    documents = archive.released_documents(household) if whole else []
    record(firm=request.firm, action=actions.PORTAL_DOCUMENTS_VIEWED.code, obj=household)
    return render(
        request,
        "advisory/portal/documents.html",
        {"documents": documents, "only_own": not whole, "contact": contact_for(household)},
    )


@portal_page
def portal_document_download(request: HttpRequest, report_id: int) -> HttpResponse:
    membership = request.membership
    household = _household_or_404(membership)
    report = (
        archive.released_report(household, report_id)
        if sees_whole_household(membership, household)
        else None
    )
    if report is None or not report.file.name or not default_storage.exists(report.file.name):
        raise Http404("No such document.")
    handle = default_storage.open(report.file.name, "rb")
    record(firm=request.firm, action=actions.REPORT_DOWNLOADED.code, obj=report)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=archive.download_name(report),
        content_type="application/pdf",
    )
