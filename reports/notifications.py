"""Telling clients that a released report is in their client portal.

:func:`notify_released` runs in the Celery task
:func:`reports.tasks.notify_report_released`, dispatched when a release commits
(:func:`reports.archive.release_report`). It e-mails every client
:func:`advisory.access.clients_seeing_household` names: those who can sign in to the portal
and may see a household report. The message carries no financial data (no values, holdings
or account numbers, no attachment): it says a document from the firm is in the portal and
links to the portal's documents page, where the client signs in to read it.

Each e-mail sent is audited ``report.client_notified`` (the report as object, the client in
``changes``); that event is the record of who was told. Each recipient is handled in a short
transaction of its own that locks the report's release row, checks the trail, sends, and
appends the event last, so a redelivered or concurrently running task never e-mails a client
twice for the same report, and a failure at the third recipient leaves the first two told.
(If the commit itself fails after the mail server took the message, the retry sends it again:
e-mail is at-least-once.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from advisory import audit_actions as actions
from advisory.access import clients_seeing_household
from advisory.audit import object_type_of, record
from advisory.db_security.locks import lock_for_transaction
from advisory.models import AuditEvent, Client, Membership, User
from advisory.tenancy import firm_scope

from .models import ArchivedReport, ReportRelease

TEXT_TEMPLATE = "reports/email/report_released.txt"
HTML_TEMPLATE = "reports/email/report_released.html"


def portal_documents_url() -> str:
    """The absolute address of the client portal's documents page."""
    return settings.BALLAST_PORTAL_BASE_URL.rstrip("/") + reverse("portal_documents")


def period_label(start: dt.date, end: dt.date) -> str:
    """A calendar month as "November 2026", else as "1 November 2026 to 15 December 2026"."""
    next_day = end + dt.timedelta(days=1)
    if start.day == 1 and next_day.day == 1 and (start.year, start.month) == (end.year, end.month):
        return f"{start:%B %Y}"
    return f"{start.day} {start:%B %Y} to {end.day} {end:%B %Y}"


def recipient_address(client: Client) -> str:
    return client.email or (client.user.email if client.user_id else "")


def notify_released(firm_id: int, report_id: int) -> int:
    """E-mail the clients who may see the released report and have not been told yet; the
    number of e-mails sent (0 on a redelivery). A report not released sends nothing."""
    with firm_scope(firm_id):
        report = ArchivedReport.objects.select_related("household", "firm").get(pk=report_id)
        release = ReportRelease.objects.select_related("released_by").filter(report=report).first()
        if release is None:
            return 0
        sent = 0
        for client in clients_seeing_household(report.household):
            address = recipient_address(client)
            if address and _notify_one(report, release, client, address):
                sent += 1
        return sent


def already_notified(report: ArchivedReport, client: Client) -> bool:
    return AuditEvent.objects.filter(
        action=actions.REPORT_CLIENT_NOTIFIED.code,
        object_type=object_type_of(report),
        object_id=str(report.pk),
        changes__client=client.pk,
    ).exists()


def _notify_one(
    report: ArchivedReport, release: ReportRelease, client: Client, address: str
) -> bool:
    with transaction.atomic():
        # One notifier at a time per report: a second delivery waits here, then finds the
        # event the first one committed. (A named lock: the app role may not lock the
        # append-only release row.)
        lock_for_transaction(f"report-release-notice:{release.pk}")
        if already_notified(report, client):
            return False
        build_message(report, client, address).send()
        record(
            firm=report.firm_id,
            action=actions.REPORT_CLIENT_NOTIFIED.code,
            obj=report,
            changes={
                "client": client.pk,
                "client_name": str(client),
                "email": address,
                "household": report.household_id,
            },
            **_actor(report.firm_id, release.released_by),
        )
    return True


def build_message(report: ArchivedReport, client: Client, address: str) -> EmailMultiAlternatives:
    """The notice to one client: plain text and HTML, no attachment, no figures."""
    context = {
        "client_name": client.first_name or str(client),
        "firm_name": report.firm.name,
        "document": f"Your report for {period_label(report.period_start, report.period_end)}",
        "portal_url": portal_documents_url(),
    }
    subject = f"{context['firm_name']}: a new document is in your client portal"
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " ").replace("\r", " "),
        body=render_to_string(TEXT_TEMPLATE, context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
    return message


def _actor(firm_id: int, user: User | None) -> dict[str, Any]:
    """The user who released the report, or the system when nobody is known."""
    if user is None:
        return {"actor_label": "report notification", "role": "system"}
    membership = Membership.objects.filter(user=user, firm_id=firm_id, is_active=True).first()
    return {
        "actor": user,
        "actor_label": user.email,
        "role": membership.role if membership else "system",
    }
