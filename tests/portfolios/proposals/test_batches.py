"""Batch proposals: every breached household of an advisor's book gets a draft, in the background.

The book: the advisor's own household and a team household are breached (all in VOO against a
60/40 large/small model); another advisor's household is breached too but is not in the book.
Drift comes from a real run (portfolios.drift.runs), proposals from the real engine.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.models import Account, AuditEvent, Household
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.models import (
    DriftSnapshot,
    Price,
    Proposal,
    ProposalBatch,
    ProposalBatchItem,
    Security,
    TaxLot,
)
from portfolios.proposals import batches as proposal_batches
from portfolios.proposals import workflow
from portfolios.rebalance.types import Options
from portfolios.tasks import resume_stalled_runs
from tests import factories
from tests.factories import AS_OF


def _breach(world, household: Household, lot_qty: str) -> Account:
    """Give a household the model and an all-VOO account, so it is far outside 60/40."""
    Household.objects.filter(pk=household.pk).update(model=world.model)
    account = Account.objects.create(
        firm=world.firm,
        household=household,
        name=f"{household.name} Joint",
        registration="joint",
        tax_status="taxable",
        custodian="schwab",
        account_number=f"B-{household.pk}",
        cash_balance=Decimal("200.00"),
    )
    TaxLot.objects.create(
        firm=world.firm,
        account=account,
        security=world.lot.security,
        quantity=Decimal(lot_qty),
        cost_basis=Decimal("3000.00"),
        acquired_on=dt.date(2024, 1, 5),
    )
    return account


@pytest.fixture
def book(world_a, classes):
    with scopes_disabled():
        world = factories.two_class_desk(world_a, classes, AS_OF)
        _breach(world, world.team_household, "40")  # bigger: drifts the same, worth more
        _breach(world, world.other_household, "12")
    with firm_scope(world.firm):
        run, _ = drift_runs.start_run(world.firm, AS_OF)
        drift_runs.process_inline(run)
    return world


def options(mode: str = "to_target") -> Options:
    return Options(mode=mode, as_of=AS_OF)


def start(world, membership=None, mode: str = "to_target") -> ProposalBatch:
    who = membership or world.advisor
    return proposal_batches.start_batch(firm=world.firm, user=who.user, options=options(mode))


def items(batch: ProposalBatch) -> list[ProposalBatchItem]:
    with scopes_disabled():
        return list(ProposalBatchItem.objects.filter(batch=batch).order_by("position"))


def actions(world) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(firm=world.firm, action__startswith="proposal")
            .order_by("seq")
            .values_list("action", flat=True)
        )


def test_start_picks_the_breached_households_of_my_book_worst_first(book):
    with scopes_disabled():
        snaps = {
            s.subject_id: s for s in DriftSnapshot.objects.filter(kind="household", as_of=AS_OF)
        }
    assert {snaps[h.pk].status for h in (book.household, book.team_household)} == {"breached"}
    assert snaps[book.other_household.pk].status == "breached"  # breached, but not my book

    batch = start(book)

    rows = items(batch)
    assert [r.household_id for r in rows] == sorted(
        [book.household.pk, book.team_household.pk],
        key=lambda hid: (-snaps[hid].worst_abs_drift, hid),
    )
    assert (batch.state, batch.total, batch.done) == ("queued", 2, 0)
    assert {r.outcome for r in rows} == {"pending"}
    assert actions(book) == ["proposal_batch.started"]
    with scopes_disabled():
        started = AuditEvent.objects.get(action="proposal_batch.started")
    assert started.changes["households"] == [r.household_id for r in rows]
    assert started.actor_id == book.advisor.user_id


def test_process_drafts_a_proposal_for_each_household_audited(book):
    batch = start(book)
    batch = proposal_batches.process_batch(book.firm.pk, batch.pk)

    assert (batch.state, batch.done, batch.total) == ("complete", 2, 2)
    assert batch.finished_at is not None
    rows = items(batch)
    assert {r.outcome for r in rows} == {"proposed"}
    with scopes_disabled():
        for row in rows:
            proposal = Proposal.objects.get(pk=row.proposal_id)
            assert proposal.household_id == row.household_id
            assert proposal.state == "draft"
            assert proposal.author_id == book.advisor.user_id
            assert row.trade_count == proposal.trades.count() > 0
            assert row.trade_value == proposal.trade_value > 0
            gain = proposal.realized_short_term + proposal.realized_long_term
            assert row.detail == f"1 sell · 1 buy · estimated realised gain ${gain:,.2f}"
        assert not Proposal.objects.filter(household=book.other_household).exists()
    assert actions(book) == [
        "proposal_batch.started",
        "proposal.created",
        "proposal.created",
        "proposal_batch.completed",
    ]
    with scopes_disabled():
        done = AuditEvent.objects.get(action="proposal_batch.completed")
    assert done.changes["outcomes"]["proposed"] == 2


def test_running_it_again_proposes_nothing_twice(book):
    batch = start(book)
    proposal_batches.process_batch(book.firm.pk, batch.pk)
    # A redelivered task (the broker lost the ack) must not make a second draft.
    with scopes_disabled():
        ProposalBatch.objects.filter(pk=batch.pk).update(state="running")
    proposal_batches.process_batch(book.firm.pk, batch.pk)
    with scopes_disabled():
        assert Proposal.objects.count() == 2
        assert ProposalBatch.objects.get(pk=batch.pk).done == 2


def test_a_worker_killed_half_way_resumes_at_the_pending_items(book):
    batch = start(book)
    first, second = items(batch)
    # As if the worker died after the first household's transaction committed.
    with scopes_disabled():
        with firm_scope(book.firm):
            proposal_batches._process_item(
                batch, first.pk, proposal_batches.options_from_json(batch.options)
            )
        assert Proposal.objects.count() == 1
    batch = proposal_batches.process_batch(book.firm.pk, batch.pk)
    assert (batch.state, batch.done) == ("complete", 2)
    with scopes_disabled():
        assert Proposal.objects.count() == 2
        assert set(Proposal.objects.values_list("household_id", flat=True)) == {
            first.household_id,
            second.household_id,
        }


def test_a_household_with_an_open_proposal_is_skipped(book):
    existing = workflow.create_proposal(
        firm=book.firm, household=book.household, options=options(), author=book.advisor.user
    )
    batch = proposal_batches.process_batch(book.firm.pk, start(book).pk)
    by_household = {r.household_id: r for r in items(batch)}
    skipped = by_household[book.household.pk]
    assert skipped.outcome == "skipped"
    assert f"#{existing.pk}" in skipped.detail
    assert by_household[book.team_household.pk].outcome == "proposed"
    with scopes_disabled():
        assert Proposal.objects.filter(household=book.household).count() == 1


def test_a_household_that_fails_is_recorded_and_the_batch_goes_on(book):
    # The team household's only holding loses its price: the engine cannot value it.
    batch = start(book)
    with scopes_disabled():
        iwm = Security.objects.get(symbol="IWM")
        Price.objects.filter(security=iwm).delete()
    batch = proposal_batches.process_batch(book.firm.pk, batch.pk)
    assert batch.state == "complete"
    rows = items(batch)
    assert {r.outcome for r in rows} == {"failed"}
    assert all("IWM" in r.detail for r in rows), [r.detail for r in rows]
    with scopes_disabled():
        assert not Proposal.objects.exists()
    assert actions(book)[-1] == "proposal_batch.completed"


def test_a_household_with_nothing_to_trade_keeps_no_empty_draft(book):
    batch = start(book, mode="to_band")
    # Since the drift run, the team household was rebalanced by hand: it is inside its bands.
    with scopes_disabled():
        account = Account.objects.get(household=book.team_household)
        TaxLot.objects.filter(account=account).update(quantity=Decimal("6"))
        TaxLot.objects.create(
            firm=book.firm,
            account=account,
            security=Security.objects.get(symbol="IWM"),
            quantity=Decimal("8"),
            cost_basis=Decimal("2000.00"),
            acquired_on=dt.date(2024, 1, 5),
        )
    batch = proposal_batches.process_batch(book.firm.pk, batch.pk)
    row = {r.household_id: r for r in items(batch)}[book.team_household.pk]
    assert row.outcome == "no_trades"
    assert row.proposal_id is None and row.trade_count == 0
    assert row.detail  # the engine's reason, not a blank
    # The notes' sentences (structured notes: their text), never a dict's repr.
    assert "inside band: no trade." in row.detail and "'text'" not in row.detail
    with scopes_disabled():
        assert not Proposal.objects.filter(household=book.team_household).exists()
    assert actions(book).count("proposal.created") == 1


def test_start_refuses_clearly_and_writes_nothing(book):
    with pytest.raises(PermissionDenied):
        start(book, membership=book.compliance)
    first = start(book)
    with pytest.raises(proposal_batches.BatchError, match=f"#{first.pk} is still running"):
        start(book)
    proposal_batches.process_batch(book.firm.pk, first.pk)
    # After the batch every breached household has an open draft, but the drift still says
    # breached, so a new batch starts and skips them all.
    again = proposal_batches.process_batch(book.firm.pk, start(book).pk)
    assert {r.outcome for r in items(again)} == {"skipped"}
    with scopes_disabled():
        DriftSnapshot.objects.filter(kind="household").update(status="in_band")
        count = ProposalBatch.objects.count()
    with pytest.raises(proposal_batches.BatchError, match="No household"):
        start(book)
    with scopes_disabled():
        assert ProposalBatch.objects.count() == count


# --- Pages --------------------------------------------------------------------------------


def test_page_starts_a_batch_and_shows_progress_and_results(
    book, login, django_capture_on_commit_callbacks
):
    client = login(book.advisor)
    page = client.get("/proposals/batches/").content.decode()
    assert "2</strong> households in your book are outside their bands" in page

    with django_capture_on_commit_callbacks(execute=True):  # eager Celery: runs on commit
        response = client.post("/proposals/batches/", {"mode": "to_target"})
    with scopes_disabled():
        batch = ProposalBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/proposals/batches/{batch.pk}/"
    assert batch.state == "complete"

    detail = client.get(response["Location"]).content.decode()
    assert "2 of 2 households" in detail
    for row in items(batch):
        assert f"/proposals/{row.proposal_id}/" in detail
    # The polling partial tells htmx to stop once the batch has ended.
    progress = client.get(f"/proposals/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert progress.status_code == 286
    assert 'id="batch-progress"' in progress.content.decode()


def test_progress_keeps_polling_while_the_batch_runs(book, login):
    client = login(book.advisor)
    batch = start(book)
    body = client.get(f"/proposals/batches/{batch.pk}/").content.decode()
    assert f'hx-get="/proposals/batches/{batch.pk}/progress/"' in body
    response = client.get(f"/proposals/batches/{batch.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "0 of 2 households" in response.content.decode()


def test_bad_options_show_next_to_the_field_and_start_nothing(book, login):
    client = login(book.advisor)
    response = client.post("/proposals/batches/", {"mode": "raise_cash"})
    assert response.status_code == 400
    assert "Say how much cash to raise." in response.content.decode()
    with scopes_disabled():
        assert not ProposalBatch.objects.exists()


def test_who_sees_and_starts_batches(book, login):
    batch = start(book)
    other = login(book.other_advisor)
    assert other.get(f"/proposals/batches/{batch.pk}/").status_code == 404
    assert f"#{batch.pk}" not in other.get("/proposals/batches/").content.decode()
    compliance = login(book.compliance)
    assert compliance.get(f"/proposals/batches/{batch.pk}/").status_code == 200
    assert compliance.post("/proposals/batches/", {"mode": "to_target"}).status_code == 403
    admin = login(book.admin)
    assert admin.get(f"/proposals/batches/{batch.pk}/").status_code == 200
    client = login(book.client)
    assert client.get(f"/proposals/batches/{batch.pk}/").status_code == 403


def test_parts_share_a_batch_and_the_last_one_completes_it(book):
    batch = start(book)
    first = proposal_batches.process_batch(book.firm.pk, batch.pk, part=0, parts=2)
    assert (first.state, first.done) == ("running", 1)  # part 1's household still pending
    assert [r.outcome for r in items(batch)] == ["proposed", "pending"]
    last = proposal_batches.process_batch(book.firm.pk, batch.pk, part=1, parts=2)
    assert (last.state, last.done) == ("complete", 2)
    assert actions(book).count("proposal_batch.completed") == 1


def test_parts_follow_the_size_of_the_batch(settings):
    settings.BALLAST_BATCH_PARTS = 4
    assert [proposal_batches.parts_for(n) for n in (1, 50, 51, 150, 1000)] == [1, 1, 2, 3, 4]


def test_the_watchdog_resends_a_batch_whose_message_was_lost(book, settings):
    batch = start(book)  # as if its task message never reached a worker
    assert resume_stalled_runs() == 0  # not stalled yet: nothing is sent twice
    with scopes_disabled():
        stale = timezone.now() - dt.timedelta(seconds=settings.BALLAST_DRIFT_STALL_SECONDS + 1)
        ProposalBatch.objects.filter(pk=batch.pk).update(updated_at=stale)
    assert resume_stalled_runs() == 1  # tasks run in-process in tests: it completes here
    with scopes_disabled():
        done = ProposalBatch.objects.get(pk=batch.pk)
    assert (done.state, done.done) == ("complete", 2)
