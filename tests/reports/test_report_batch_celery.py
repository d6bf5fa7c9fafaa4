"""A report batch on a real Redis broker and a real Celery worker, SIGKILLed mid-batch.

The Redis server, the worker process and the table lock come from the drift run's integration
tests (tests/portfolios/test_tasks_celery.py): the lock on the archive table freezes two
households mid-transaction (rendered, not yet archived), so "mid-batch" is a state we wait for.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from advisory.models import Firm, Household, Role
from reports import batches
from reports.models import ArchivedReport, ReportBatch
from reports.tasks import dispatch_batch
from tests import factories
from tests.celery_harness import TableLock, wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]
HOUSEHOLDS = 6


@pytest.fixture
def media_env(worker_env, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    worker_env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    return worker_env


@pytest.fixture
def book(classes, voo):
    with scopes_disabled():
        firm = Firm.objects.create(name="Report Integration Firm", slug="report-integration")
        advisor = factories.member(firm, "advisor@reports.example", Role.ADVISOR)
        admin = factories.member(firm, "admin@reports.example", Role.ADMIN)
        compliance = factories.member(firm, "compliance@reports.example", Role.COMPLIANCE)
        factories.approved_disclosures(firm, author=admin.user, approver=compliance.user)
        factories.large_cap_book(
            firm, advisor, classes, voo, households=HOUSEHOLDS, accounts_each=1, prefix="RH"
        )
    return firm, advisor


def _finished(batch: ReportBatch) -> ReportBatch | None:
    with scopes_disabled():
        current = ReportBatch.objects.get(pk=batch.pk)
    return current if current.state in ("complete", "failed") else None


def test_sigkill_mid_batch_then_restart_archives_each_household_once(
    book,
    media_env,
    workers,
):
    firm, advisor = book
    batch = batches.start_batch(
        firm=firm,
        user=advisor.user,
        period_start=dt.date(2025, 12, 1),
        period_end=dt.date(2025, 12, 31),
        scope="book",
    )
    assert batch.total == HOUSEHOLDS
    worker = workers()
    with TableLock("reports_archivedreport") as lock:
        dispatch_batch(firm.pk, batch.pk)
        wait_for(lambda: lock.waiting() >= 2, 60, "two households frozen mid-archive")
        worker.kill()
    with scopes_disabled():
        assert ReportBatch.objects.get(pk=batch.pk).done == 0
        assert not ArchivedReport.objects.filter(firm=firm).exists()
    workers()  # the unacknowledged tasks come back and carry on
    done = wait_for(lambda: _finished(batch), 180, "the batch to finish after the restart")
    assert done.state == "complete", done.errors
    assert done.done == done.total == HOUSEHOLDS
    with scopes_disabled():
        reported = list(
            ArchivedReport.objects.filter(firm=firm).values_list("household_id", flat=True)
        )
        households = set(Household.objects.filter(firm=firm).values_list("pk", flat=True))
        outcomes = set(done.items.values_list("outcome", flat=True))
    assert len(reported) == len(set(reported)) == HOUSEHOLDS
    assert set(reported) == households
    assert outcomes == {"generated"}
