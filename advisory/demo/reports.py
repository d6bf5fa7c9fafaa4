"""A released report for each demo firm's portal client, so `make run` shows the client a
real document (and the advisor a report already in the archive)."""

from __future__ import annotations

from advisory.models import Client, Firm
from advisory.tenancy import firm_scope
from reports.archive import generate_report, release_report
from reports.models import ArchivedReport
from reports.periods import parse_month
from reports.queries import default_report_month

from .specs import FIRMS


def seed_portal_reports() -> int:
    """Generate and release the last priced month's report for each firm's portal client's
    household, unless that household has a report already. Returns how many were made."""
    made = 0
    for spec in FIRMS:
        firm = Firm.objects.filter(slug=spec.slug).first()
        if firm is None:
            continue
        with firm_scope(firm):
            client = (
                Client.objects.filter(user__email=spec.portal_client)
                .select_related("household__primary_advisor__user")
                .first()
            )
            if client is None or ArchivedReport.objects.filter(household=client.household).exists():
                continue
            period = parse_month(default_report_month(firm.pk))
            if period is None:
                continue
            advisor = client.household.primary_advisor.user
            report = generate_report(
                household=client.household,
                period_start=period[0],
                period_end=period[1],
                actor=advisor,
            )
            release_report(report=report, actor=advisor)
            made += 1
    return made
