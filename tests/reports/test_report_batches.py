"""Report batches: every household with a model once, a second run of an item writes
nothing, a failing household is recorded and the batch goes on; the pages around them.

PostgreSQL and WeasyPrint; tasks run eagerly (no broker in the test settings); files go to a
temporary MEDIA_ROOT. The real-worker kill test is not written yet.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django_scopes import scopes_disabled

from advisory.models import Household
from reports import batches
from reports.models import ArchivedReport, ReportBatch, ReportBatchItem, ReportOutcome
from reports.tasks import generate_household_report
from tests import factories

START, END = dt.date(2025, 12, 1), dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def book(world_a, world_b):
    """world_a's advisor with three households that have a model (and one without)."""
    w = world_a
    factories.approved_disclosures(w.firm, author=w.admin.user, approver=w.compliance.user)
    for name in ("Alpha Second Household", "Alpha Third Household"):
        Household.objects.create(firm=w.firm, name=name, primary_advisor=w.advisor, model=w.model)
    return w


def _book_ids(world) -> set[int]:
    with scopes_disabled():
        return set(
            Household.objects.filter(firm=world.firm, primary_advisor=world.advisor)
            .exclude(model=None)
            .values_list("pk", flat=True)
        )


def _start(world, scope="book", user=None):
    return batches.start_batch(
        firm=world.firm,
        user=user or world.advisor.user,
        period_start=START,
        period_end=END,
        scope=scope,
    )


def _run(world, batch) -> list[str]:
    return [
        generate_household_report(world.firm.pk, hid, period, item_id)
        for item_id, hid, period in batches.pending_items(world.firm.pk, batch.pk)
    ]


def _reports(world) -> list[ArchivedReport]:
    with scopes_disabled():
        return list(ArchivedReport.objects.filter(firm=world.firm))


def _batch(batch) -> ReportBatch:
    with scopes_disabled():
        return ReportBatch.objects.get(pk=batch.pk)


def test_every_household_once_and_a_second_run_writes_nothing(book):
    batch = _start(book)
    assert _run(book, batch) == ["generated"] * 3
    reports = _reports(book)
    assert sorted(r.household_id for r in reports) == sorted(_book_ids(book))
    assert {(r.period_start, r.period_end) for r in reports} == {(START, END)}
    assert {r.generated_by for r in reports} == {book.advisor.user}
    done = _batch(batch)
    assert (done.state, done.done, done.total) == ("complete", 3, 3)
    assert len(factories.firm_events(book.firm, "report_batch.started")) == 1
    assert len(factories.firm_events(book.firm, "report_batch.completed")) == 1
    events = len(factories.firm_events(book.firm))
    # Redelivered tasks: every item is done, nothing is written.
    with scopes_disabled():
        items = list(ReportBatchItem.objects.filter(batch=batch))
    for item in items:
        again = generate_household_report(
            book.firm.pk, item.household_id, START.isoformat(), item.pk
        )
        assert again == "skipped"
    assert len(_reports(book)) == 3
    assert len(factories.firm_events(book.firm)) == events
    assert _batch(batch).done == 3


def test_a_failing_household_is_recorded_and_the_batch_goes_on(book, monkeypatch):
    real = batches.generate_report
    with scopes_disabled():
        bad = Household.objects.get(firm=book.firm, name="Alpha Second Household")

    def flaky(*, household, **kwargs):
        if household.pk == bad.pk:
            raise ValueError("No prices for this household's holdings.")
        return real(household=household, **kwargs)

    monkeypatch.setattr(batches, "generate_report", flaky)
    batch = _start(book)
    outcomes = _run(book, batch)
    assert sorted(outcomes) == ["failed", "generated", "generated"]
    with scopes_disabled():
        item = ReportBatchItem.objects.get(batch=batch, household=bad)
    assert item.outcome == ReportOutcome.FAILED
    assert "No prices" in item.detail
    assert item.report_id is None
    assert bad.pk not in {r.household_id for r in _reports(book)}
    assert len(_reports(book)) == 2
    assert _batch(batch).state == "complete"


def test_only_an_admin_reports_for_the_firm(book):
    with pytest.raises(PermissionDenied):
        _start(book, scope="firm")
    with pytest.raises(batches.ReportBatchError, match="No household"):  # the admin's own book
        _start(book, user=book.admin.user)
    batch = _start(book, scope="firm", user=book.admin.user)
    with scopes_disabled():
        ids = set(
            ReportBatchItem.objects.filter(batch=batch).values_list("household_id", flat=True)
        )
        expected = set(
            Household.objects.filter(firm=book.firm)
            .exclude(model=None)
            .values_list("pk", flat=True)
        )
    assert ids == expected


def test_the_batch_page_starts_runs_and_stops_polling(
    book, login, django_capture_on_commit_callbacks
):
    client = login(book.advisor)
    assert client.get("/reports/batches/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/reports/batches/", {"period": "2025-12", "scope": "book"})
    assert response.status_code == 302
    with scopes_disabled():
        (batch,) = ReportBatch.objects.filter(firm=book.firm)
    assert response["Location"] == f"/reports/batches/{batch.pk}/"
    assert _batch(batch).state == "complete"
    assert len(_reports(book)) == 3
    page = client.get(response["Location"]).content.decode()
    assert "Alpha Third Household" in page and "3 of 3 households" in page
    progress = client.get(f"/reports/batches/{batch.pk}/progress/", headers={"HX-Request": "true"})
    assert progress.status_code == 286


def test_batch_roles(book, login):
    assert (
        login(book.compliance).post("/reports/batches/", {"period": "2025-12"}).status_code == 403
    )
    assert login(book.compliance).get("/reports/batches/").status_code == 200
    assert login(book.client).get("/reports/batches/").status_code == 403
    response = login(book.advisor).post("/reports/batches/", {"period": "2025-12", "scope": "firm"})
    assert response.status_code == 403
    response = login(book.advisor).post("/reports/batches/", {"period": "2999-01"})
    assert response.status_code == 400
    with scopes_disabled():
        assert not ReportBatch.objects.filter(firm=book.firm).exists()


def test_firm_b_batch_is_404(book, world_b, login):
    with scopes_disabled():
        other = ReportBatch.objects.create(
            firm=world_b.firm,
            requested_by=world_b.advisor.user,
            scope="book",
            period_start=START,
            period_end=END,
        )
    for persona in ("admin", "advisor", "compliance"):
        client = login(getattr(book, persona))
        assert client.get(f"/reports/batches/{other.pk}/").status_code == 404
        assert client.get(f"/reports/batches/{other.pk}/progress/").status_code == 404
