"""A released report e-mails the clients who may see it: a link to the portal's documents,
no figures, one ``report.client_notified`` event each, nobody twice.

PostgreSQL and WeasyPrint; tasks run eagerly (no broker in the test settings); mail goes to
Django's locmem outbox; files go to a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.urls import reverse
from django_scopes import scopes_disabled

from advisory.models import Account, AccountOwner, Client, Role
from reports import notifications
from reports.archive import generate_report, release_report
from reports.tasks import notify_report_released
from tests import factories

START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 31)
PORTAL = "https://portal.alpha.example"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BALLAST_PORTAL_BASE_URL = PORTAL + "/"
    return settings.MEDIA_ROOT


def _client(world, household, first: str, *, login: bool, email: str = "") -> Client:
    user = None
    if login:
        user = factories.member(
            world.firm, f"{first.lower()}@{world.firm.slug}.example", Role.CLIENT
        ).user
    return Client.objects.create(
        firm=world.firm,
        household=household,
        first_name=first,
        last_name="Client",
        email=email,
        user=user,
    )


@pytest.fixture
def family(world_a, world_b):
    """world_a's household with its client (login), a spouse with a login and a separate
    address, a child without a login; a client with a login in another household; a second
    account owned by the first client alone; approved disclosures."""
    w = world_a
    factories.approved_disclosures(w.firm, author=w.admin.user, approver=w.compliance.user)
    spouse = _client(w, w.household, "Spouse", login=True, email="spouse.home@example.com")
    child = _client(w, w.household, "Child", login=False, email="child@example.com")
    neighbour = _client(w, w.other_household, "Neighbour", login=True)
    savings = Account.objects.create(
        firm=w.firm,
        household=w.household,
        name="Alpha Savings",
        registration="individual",
        tax_status="taxable",
        custodian="schwab",
        account_number="ALPHA-7788",
        model=w.model,
    )
    for account, owner in (  # the factory made the client an owner of w.account already
        (w.account, spouse),
        (savings, w.client_person),
    ):
        AccountOwner.objects.create(firm=w.firm, account=account, client=owner)
    w.spouse, w.child, w.neighbour, w.savings = spouse, child, neighbour, savings
    return w


def _report(world):
    return generate_report(
        household=world.household, period_start=START, period_end=END, actor=world.advisor.user
    )


def _release(world, report, django_capture_on_commit_callbacks):
    """Release as the advisor; the on-commit dispatch runs (the task, eagerly)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        release_report(report=report, actor=world.advisor.user)
    assert len(callbacks) == 1


def _notified(world, report) -> list:
    return [
        e
        for e in factories.firm_events(world.firm, "report.client_notified")
        if e.object_id == str(report.pk)
    ]


def test_release_emails_the_household_clients_with_a_login_and_nothing_else(
    family, world_b, django_capture_on_commit_callbacks
):
    w = family
    report = _report(w)
    assert mail.outbox == []  # generating tells nobody
    _release(w, report, django_capture_on_commit_callbacks)

    with scopes_disabled():
        from advisory.access import clients_seeing_household

        expected = clients_seeing_household(w.household)
    assert {c.pk for c in expected} == {w.client_person.pk, w.spouse.pk}
    # One message each, to the client's own address, else their login's.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["client@alpha.example", "spouse.home@example.com"]
    )
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    link = PORTAL + reverse("portal_documents")
    for message in mail.outbox:
        html = dict((ct, body) for body, ct in message.alternatives)["text/html"]
        assert message.attachments == []
        assert "Alpha Firm" in message.subject
        for text in (message.body, html):
            assert link in text
            assert "Your report for December 2025" in text
            assert "Alpha Firm" in text
            # No figures of any kind: no currency, no amounts, no account numbers.
            assert "$" not in text
            assert not re.search(r"\d[\d,]*\.\d\d", text)
            for number in (w.account.account_number, w.savings.account_number):
                assert number not in text
                assert number[-4:] not in text
            assert "Brokerage" not in text and "VOO" not in text
        assert "//portal.alpha.example//" not in message.body  # base URL's slash trimmed

    events = _notified(w, report)
    assert sorted(e.changes["client"] for e in events) == sorted([w.client_person.pk, w.spouse.pk])
    assert {e.actor_id for e in events} == {w.advisor.user.pk}
    assert {e.object_type for e in events} == {"reports.archivedreport"}
    assert sorted(e.changes["email"] for e in events) == sorted(m.to[0] for m in mail.outbox)
    # Nothing for the child (no login), the neighbour (other household) or firm B's client.
    sent_to = {m.to[0] for m in mail.outbox}
    assert "child@example.com" not in sent_to and "neighbour@alpha.example" not in sent_to
    assert factories.firm_events(world_b.firm, "report.client_notified") == []


def test_running_the_task_again_sends_nothing(family, django_capture_on_commit_callbacks):
    w = family
    report = _report(w)
    _release(w, report, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    events = len(factories.firm_events(w.firm))

    assert notify_report_released.delay(w.firm.pk, report.pk).get() == 0
    assert notify_report_released(w.firm.pk, report.pk) == 0
    assert len(mail.outbox) == 2
    assert len(factories.firm_events(w.firm)) == events


def test_a_failed_send_is_retried_without_mailing_the_first_recipient_again(family, monkeypatch):
    w = family
    report = _report(w)
    release_report(report=report, actor=w.advisor.user)  # the test's transaction: no on-commit
    assert mail.outbox == []
    real = notifications.EmailMultiAlternatives.send
    failures = []

    def flaky(self, *args, **kwargs):
        if self.to == ["spouse.home@example.com"] and not failures:
            failures.append(self.to)
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(notifications.EmailMultiAlternatives, "send", flaky)
    # The first delivery tells the first client (clients in name order), then the mail server
    # drops the connection: the task asks for a retry (eagerly, the error propagates).
    with pytest.raises((Retry, smtplib.SMTPException)):
        notify_report_released.delay(w.firm.pk, report.pk)
    assert failures == [["spouse.home@example.com"]]
    assert [m.to for m in mail.outbox] == [["client@alpha.example"]]
    assert [e.changes["client"] for e in _notified(w, report)] == [w.client_person.pk]
    # The retry tells only the client not told yet.
    assert notify_report_released.delay(w.firm.pk, report.pk).get() == 1
    assert [m.to for m in mail.outbox] == [["client@alpha.example"], ["spouse.home@example.com"]]
    assert [e.changes["client"] for e in _notified(w, report)] == [
        w.client_person.pk,
        w.spouse.pk,
    ]


def test_an_unreleased_report_tells_nobody(family):
    report = _report(family)
    assert notify_report_released(family.firm.pk, report.pk) == 0
    assert mail.outbox == []
    assert _notified(family, report) == []


def test_when_households_are_not_shared_only_owners_of_every_account_are_told(
    family, django_capture_on_commit_callbacks
):
    w = family
    w.firm.portal_shares_household = False
    w.firm.save(update_fields=["portal_shares_household"])
    report = _report(w)
    _release(w, report, django_capture_on_commit_callbacks)
    # The spouse owns the brokerage account but not the savings account: a household report
    # shows both, so only the client who owns every account is told.
    assert [m.to for m in mail.outbox] == [["client@alpha.example"]]
    assert [e.changes["client"] for e in _notified(w, report)] == [w.client_person.pk]


def test_another_firms_report_id_is_not_found_in_this_firms_scope(
    family, world_b, django_capture_on_commit_callbacks
):
    report = _report(family)
    _release(family, report, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    from reports.models import ArchivedReport

    with pytest.raises(ArchivedReport.DoesNotExist):
        notify_report_released(world_b.firm.pk, report.pk)
    assert mail.outbox == []
