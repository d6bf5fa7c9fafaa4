"""A real Redis broker and a real Celery worker process, killed and cut off on purpose.

Each test starts its own redis-server on a free port (so stopping it harms
nothing else) and a prefork worker (concurrency 2) against the test database.
A test holds an EXCLUSIVE lock on the snapshot table to freeze chunks in the
middle of their transaction, so "mid-run" is a state we can wait for, not a
sleep we hope lands right.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from advisory.models import Account, Firm, Membership, Role
from portfolios.drift import runs as drift_runs
from portfolios.models import (
    DriftRun,
    DriftSnapshot,
    Proposal,
    ProposalBatch,
    Target,
)
from portfolios.proposals import batches as proposal_batches
from portfolios.rebalance.types import Options
from portfolios.tasks import drift_firm, propose_batch
from tests import factories
from tests.celery_harness import TableLock, wait_for
from tests.factories import AS_OF

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
HOUSEHOLDS = 40  # → 10 chunks of CHUNK


@pytest.fixture
def firm(classes, voo) -> Firm:
    with scopes_disabled():
        firm = Firm.objects.create(name="Integration Firm", slug="integration")
        advisor = factories.member(firm, "advisor@integration.example", Role.ADVISOR)
        factories.large_cap_book(
            firm, advisor, classes, voo, households=HOUSEHOLDS, accounts_each=2, prefix="IH"
        )
    return firm


def run_state(firm: Firm) -> DriftRun | None:
    with scopes_disabled():
        return DriftRun.objects.filter(firm=firm, as_of=AS_OF).order_by("-pk").first()


def assert_exactly_one_snapshot_each(firm: Firm) -> None:
    with scopes_disabled():
        accounts = set(Account.objects.filter(firm=firm).values_list("pk", flat=True))
        snaps = list(
            DriftSnapshot.objects.filter(firm=firm, as_of=AS_OF, kind="account").values_list(
                "subject_id", flat=True
            )
        )
        households = DriftSnapshot.objects.filter(firm=firm, as_of=AS_OF, kind="household")
        assert len(snaps) == len(set(snaps)) == len(accounts)
        assert set(snaps) == accounts
        assert households.count() == HOUSEHOLDS


def assert_whole_chunks(run: DriftRun) -> None:
    """Every chunk is all written (done) or not written at all: never half."""
    with scopes_disabled():
        for chunk in run.chunks.all():
            in_range = {
                "firm": run.firm_id,
                "household_id__gte": chunk.first_household_id,
                "household_id__lte": chunk.last_household_id,
            }
            accounts = Account.objects.filter(**in_range).count()
            written = DriftSnapshot.objects.filter(
                kind="account", as_of=run.as_of, run=run, **in_range
            ).count()
            assert written == (accounts if chunk.done else 0), chunk


def complete(firm: Firm) -> DriftRun | None:
    run = run_state(firm)
    return run if run and run.state in ("complete", "failed") else None


def test_drift_firm_fans_out_over_chunks(firm, workers):
    workers()
    drift_firm.delay(firm.pk, AS_OF.isoformat())
    run = wait_for(lambda: complete(firm), 60, "the run to finish")
    assert (run.state, run.expected_chunks, run.done_chunks) == ("complete", 10, 10)
    assert run.accounts == 2 * HOUSEHOLDS
    assert_exactly_one_snapshot_each(firm)


def test_sigkill_mid_run_then_restart_finishes_exactly_once(firm, workers):
    worker = workers()
    with TableLock() as lock:
        drift_firm.delay(firm.pk, AS_OF.isoformat())
        wait_for(lambda: lock.waiting() >= 2, 30, "two chunks frozen mid-write")
        worker.kill()  # SIGKILL to the whole worker: main process and pool children
    time.sleep(1)
    run = run_state(firm)
    assert run is not None and run.state in ("pending", "running")
    assert run.done_chunks < run.expected_chunks, "the kill must land mid-run"
    workers()  # start it again: the unacknowledged chunks come back
    run = wait_for(lambda: complete(firm), 90, "the run to finish after the restart")
    assert run.state == "complete", run.errors
    assert run.done_chunks == run.expected_chunks == 10
    assert_exactly_one_snapshot_each(firm)


def test_redis_outage_mid_run_completes_or_fails_visibly(firm, workers, redis):
    workers(beat=True)  # beat drives the stalled-run watchdog
    with TableLock() as lock:
        drift_firm.delay(firm.pk, AS_OF.isoformat())
        wait_for(lambda: lock.waiting() >= 1, 30, "a chunk frozen mid-write")
        redis.stop()  # no persistence: whatever was queued is gone
        time.sleep(4)
        redis.start()
    run = wait_for(lambda: complete(firm), 120, "the run to finish after the outage")
    if run.state == "failed":
        assert run.errors, "a failed run says why"
        assert_whole_chunks(run)
    else:
        assert run.done_chunks == run.expected_chunks
        assert_exactly_one_snapshot_each(firm)


# --- Batch proposals ---------------------------------------------------------------------


@pytest.fixture
def breached_firm(firm, classes) -> Firm:
    """The same book against a 60/40 large/small model: every household is all large cap."""
    with scopes_disabled():
        iwm = factories.security("IWM", classes["us-small-cap"])
        factories.price(iwm, "250.00", AS_OF)
        target = Target.objects.get(firm=firm)
        Target.objects.filter(pk=target.pk).update(weight=Decimal(60))
        Target.objects.create(
            firm=firm,
            model=target.model,
            asset_class=classes["us-small-cap"],
            weight=Decimal(40),
            preferred_security=iwm,
        )
        run, _ = drift_runs.start_run(firm, AS_OF)
    with scopes_disabled():
        drift_runs.process_inline(run)
    return firm


def start_book_batch(firm: Firm) -> ProposalBatch:
    with scopes_disabled():
        advisor = Membership.objects.get(firm=firm, role=Role.ADVISOR).user
    return proposal_batches.start_batch(
        firm=firm, user=advisor, options=Options(mode="to_target", as_of=AS_OF)
    )


def batch_state(batch: ProposalBatch) -> ProposalBatch | None:
    with scopes_disabled():
        current = ProposalBatch.objects.get(pk=batch.pk)
    return current if current.state in ("complete", "failed") else None


def test_batch_sigkill_mid_household_then_restart_proposes_each_household_once(
    breached_firm, workers
):
    batch = start_book_batch(breached_firm)
    assert batch.total == HOUSEHOLDS
    worker = workers()
    with TableLock("portfolios_proposal") as lock:
        propose_batch.delay(breached_firm.pk, batch.pk)
        wait_for(lambda: lock.waiting() >= 1, 30, "a household frozen mid-proposal")
        worker.kill()
    with scopes_disabled():
        assert ProposalBatch.objects.get(pk=batch.pk).done == 0
    workers()  # the unacknowledged task comes back and carries on
    done = wait_for(lambda: batch_state(batch), 120, "the batch to finish after the restart")
    assert done.state == "complete", done.errors
    assert done.done == done.total == HOUSEHOLDS
    with scopes_disabled():
        households = list(
            Proposal.objects.filter(firm=breached_firm).values_list("household_id", flat=True)
        )
        outcomes = list(done.items.values_list("outcome", flat=True))
    # The smallest households (one share of VOO per account) cannot trade whole shares.
    assert set(outcomes) <= {"proposed", "no_trades"}
    assert len(households) == len(set(households)) == outcomes.count("proposed") > 30
