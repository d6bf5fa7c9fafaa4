"""The report batch watchdog: a batch that made no progress for the stall period gets its
pending items sent again (once per stall period), with a ``report_batch.resumed`` event;
fresh, finished and done work is left alone; duplicated deliveries write nothing twice.

PostgreSQL and WeasyPrint; tasks run eagerly (no broker in the test settings), except that the
watchdog's sends are captured at ``generate_household_report.delay`` (the broker edge) and
delivered by the test. Files go to a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.models import Household
from advisory.tenancy import firm_scope
from reports import batches, tasks
from reports.models import ArchivedReport, ReportBatch, ReportBatchItem
from reports.tasks import generate_household_report, resume_stalled_report_batches
from tests import factories

START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BALLAST_DRIFT_STALL_SECONDS = 600
    return settings.MEDIA_ROOT


@pytest.fixture
def book(world_a, world_b):
    """world_a's advisor with three households that have a model; firm B has approved
    disclosures too (its own batches must not be touched by firm A's)."""
    w = world_a
    factories.approved_disclosures(w.firm, author=w.admin.user, approver=w.compliance.user)
    for name in ("Alpha Second Household", "Alpha Third Household"):
        Household.objects.create(firm=w.firm, name=name, primary_advisor=w.advisor, model=w.model)
    return w


@pytest.fixture
def sent(monkeypatch) -> list[tuple]:
    """The watchdog's sends, captured at the broker edge instead of run."""
    calls: list[tuple] = []
    monkeypatch.setattr(
        tasks, "generate_household_report", SimpleNamespace(delay=lambda *a: calls.append(a))
    )
    return calls


def _start(world) -> ReportBatch:
    return batches.start_batch(
        firm=world.firm,
        user=world.advisor.user,
        period_start=START,
        period_end=END,
        scope="book",
    )


def _age(batch, seconds: int = 3600) -> None:
    with scopes_disabled():
        ReportBatch.objects.filter(pk=batch.pk).update(
            updated_at=timezone.now() - dt.timedelta(seconds=seconds)
        )


def _batch(batch) -> ReportBatch:
    with scopes_disabled():
        return ReportBatch.objects.get(pk=batch.pk)


def _items(batch) -> list[ReportBatchItem]:
    with scopes_disabled():
        return list(ReportBatchItem.objects.filter(batch_id=batch.pk).order_by("position"))


def _resumed(world) -> list:
    return factories.firm_events(world.firm, "report_batch.resumed")


def test_a_stalled_batch_has_its_pending_items_sent_again_once_per_stall_period(book, sent):
    batch = _start(book)
    _age(batch)
    before = _batch(batch).updated_at

    assert resume_stalled_report_batches() == 3
    expected = [
        (book.firm.pk, item.household_id, START.isoformat(), item.pk) for item in _items(batch)
    ]
    assert sent == expected
    events = _resumed(book)
    assert len(events) == 1
    assert events[0].object_id == str(batch.pk)
    assert events[0].changes["resent"] == 3
    assert events[0].role == "system"
    touched = _batch(batch)
    assert touched.updated_at > before + dt.timedelta(minutes=30)
    assert touched.state == "queued"  # the watchdog only re-sends; the items do the work

    # The next tick, with the work simply queued: nothing is sent again.
    assert resume_stalled_report_batches() == 0
    assert len(sent) == 3
    assert len(_resumed(book)) == 1


def test_fresh_complete_and_failed_batches_are_left_alone(book, world_b, sent):
    done = _start(book)
    for item_id, household_id, period in batches.pending_items(book.firm.pk, done.pk):
        assert generate_household_report(book.firm.pk, household_id, period, item_id) in (
            "generated",
            "failed",
        )
    assert _batch(done).state == "complete"
    _age(done)
    fresh = _start(book)  # queued a moment ago
    factories.approved_disclosures(
        world_b.firm, author=world_b.admin.user, approver=world_b.compliance.user
    )
    failed = _start(world_b)
    batches.fail_batch(world_b.firm.pk, failed.pk, "RuntimeError: gave up")
    _age(failed)
    events = len(factories.firm_events(book.firm)), len(factories.firm_events(world_b.firm))

    assert resume_stalled_report_batches() == 0
    assert sent == []
    assert _batch(fresh).state == "queued"
    assert (len(factories.firm_events(book.firm)), len(factories.firm_events(world_b.firm))) == (
        events
    )


def test_items_already_done_are_not_sent_again(book, sent):
    batch = _start(book)
    first, *rest = _items(batch)
    assert (
        generate_household_report(book.firm.pk, first.household_id, START.isoformat(), first.pk)
        == "generated"
    )
    _age(batch)

    assert resume_stalled_report_batches() == 2
    assert [call[3] for call in sent] == [item.pk for item in rest]
    assert _resumed(book)[0].changes["items"] == [item.pk for item in rest]


def test_duplicated_deliveries_after_a_resend_write_nothing_twice(book, sent):
    batch = _start(book)
    _age(batch)
    assert resume_stalled_report_batches() == 3
    # The original messages were not lost after all: every item is delivered twice.
    outcomes = [generate_household_report(*call) for call in sent + sent]
    assert outcomes == ["generated"] * 3 + ["skipped"] * 3
    with scopes_disabled():
        reports = list(ArchivedReport.objects.filter(firm=book.firm))
    assert sorted(r.household_id for r in reports) == sorted(i.household_id for i in _items(batch))
    done = _batch(batch)
    assert (done.state, done.done, done.total) == ("complete", 3, 3)
    assert len(factories.firm_events(book.firm, "report.generated")) == 3
    assert len(factories.firm_events(book.firm, "report_batch.completed")) == 1


def test_a_batch_left_running_with_nothing_pending_is_completed_not_resent(book, sent, monkeypatch):
    batch = _start(book)
    # A worker dies after each item's commit, before the batch is completed.
    monkeypatch.setattr(batches, "_finish", lambda batch_id: None)
    for item_id, household_id, period in batches.pending_items(book.firm.pk, batch.pk):
        generate_household_report(book.firm.pk, household_id, period, item_id)
    monkeypatch.undo()
    monkeypatch.setattr(
        tasks, "generate_household_report", SimpleNamespace(delay=lambda *a: sent.append(a))
    )
    assert _batch(batch).state == "running"
    _age(batch)

    assert resume_stalled_report_batches() == 0
    assert sent == []
    assert _resumed(book) == []
    assert _batch(batch).state == "complete"
    assert len(factories.firm_events(book.firm, "report_batch.completed")) == 1


@pytest.mark.django_db(transaction=True)
def test_an_item_another_delivery_holds_is_skipped_not_done_twice(book):
    """SKIP LOCKED: while one delivery holds an item (rendering, or a killed worker's open
    transaction), a duplicate delivery neither waits nor writes; it reports ``busy`` (the
    task retries later) and, once the holder commits, ``skipped``."""
    batch = _start(book)
    item = _items(batch)[0]
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with firm_scope(book.firm), transaction.atomic():
                ReportBatchItem.objects.select_for_update().filter(pk=item.pk).get()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        assert (
            batches.process_item(book.firm.pk, item.pk, item.household_id, START.isoformat())
            == "busy"
        )
        with scopes_disabled():
            assert not ArchivedReport.objects.filter(household_id=item.household_id).exists()
    finally:
        release.set()
        holder.join()
    assert (
        batches.process_item(book.firm.pk, item.pk, item.household_id, START.isoformat())
        == "generated"
    )
    assert (
        batches.process_item(book.firm.pk, item.pk, item.household_id, START.isoformat())
        == "skipped"
    )
