"""Drift runs: planning the chunks, doing one chunk exactly once, finishing the run.

Exactly-once effects come from the database, not from the broker:

* a run is one ``DriftRun`` row; at most one per firm and date is active (a
  partial unique constraint), so starting it twice at once gives one run;
* a chunk is done in one transaction that locks its row, writes its
  snapshots (an upsert) and marks it done; a redelivered or duplicate chunk
  task finds it done and does nothing; a worker killed mid-chunk rolls back
  and the redelivered task does it again;
* the last chunk to finish marks the run complete under the run's row lock.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory import webhooks
from advisory.audit import record
from advisory.models import Firm, Household
from advisory.request_context import acting_as, current_actor
from advisory.tenancy import firm_scope
from portfolios.drift.engine import compute_drift
from portfolios.drift.loading import load_chunk
from portfolios.drift.snapshots import write_result
from portfolios.models import ACTIVE_RUN_STATES, DriftChunk, DriftRun, DriftRunState

log = logging.getLogger(__name__)
SYSTEM = {"actor_label": "drift engine", "role": "system"}


def plan_chunks(household_ids: list[int], size: int) -> list[tuple[int, int]]:
    """Split sorted household ids into inclusive (first, last) ranges of ``size``."""
    return [
        (household_ids[i], household_ids[min(i + size, len(household_ids)) - 1])
        for i in range(0, len(household_ids), size)
    ]


def start_run(
    firm: Firm, as_of: dt.date, *, requested_by=None, chunk_households: int | None = None
) -> tuple[DriftRun, bool]:
    """Create a run and its chunks, or return the firm's active run for that date.

    Returns ``(run, created)``. The caller dispatches the chunks after commit.
    """
    size = chunk_households or settings.BALLAST_DRIFT_CHUNK_HOUSEHOLDS
    with firm_scope(firm):
        active = DriftRun.objects.filter(as_of=as_of, state__in=ACTIVE_RUN_STATES).first()
        if active is not None:
            return active, False
        try:
            with transaction.atomic():
                run = DriftRun.objects.create(firm=firm, as_of=as_of, requested_by=requested_by)
        except IntegrityError:  # started concurrently a moment ago: join that one
            # (or, if it already finished in that moment, report it)
            return DriftRun.objects.filter(as_of=as_of).order_by("-pk").first(), False
        ids = list(Household.objects.order_by("pk").values_list("pk", flat=True))
        ranges = plan_chunks(ids, size)
        DriftChunk.objects.bulk_create(
            DriftChunk(firm=firm, run=run, index=i, first_household_id=a, last_household_id=b)
            for i, (a, b) in enumerate(ranges)
        )
        run.expected_chunks = len(ranges)
        if not ranges:  # nothing to compute: complete at once
            run.state, run.finished_at = DriftRunState.COMPLETE, timezone.now()
            webhooks.drift_run_finished(run)
        run.save(update_fields=["expected_chunks", "state", "finished_at"])
        # A person or a command that said who it is keeps its name; else "drift engine".
        with acting_as(**({} if requested_by or current_actor().actor_label else SYSTEM)):
            record(
                firm=firm,
                action=actions.DRIFT_RUN_STARTED.code,
                obj=run,
                changes={"as_of": as_of, "chunks": len(ranges), "households": len(ids)},
            )
    return run, True


def note_attempt(firm_id: int, chunk_id: int) -> int:
    """Count an attempt and mark the run running, in a short transaction of its own.

    Committed before the chunk's work starts, so a killed worker's attempts
    still count, and chunks of one run do not queue behind each other on the
    run's row while they compute.
    """
    with firm_scope(firm_id), transaction.atomic():
        chunk = DriftChunk.objects.select_for_update().get(pk=chunk_id)
        chunk.attempts += 1
        chunk.save(update_fields=["attempts"])
        DriftRun.objects.filter(pk=chunk.run_id, state=DriftRunState.PENDING).update(
            state=DriftRunState.RUNNING, started_at=timezone.now()
        )
        return chunk.attempts


def process_chunk(firm_id: int, chunk_id: int) -> bool:
    """Compute and store one chunk. Returns False when there was nothing to do."""
    with firm_scope(firm_id), transaction.atomic():
        # of=("self",): lock the chunk only, not the run row it joins (chunks run in parallel).
        chunk = (
            DriftChunk.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=chunk_id)
        )
        run = chunk.run
        if chunk.done or run.state in (DriftRunState.COMPLETE, DriftRunState.FAILED):
            return False
        _relax_commit_durability()
        inputs = load_chunk(firm_id, run.as_of, chunk.first_household_id, chunk.last_household_id)
        result = compute_drift(inputs)
        write_result(result, firm_id=firm_id, run_id=run.pk, computed_at=timezone.now())
        chunk.done, chunk.finished_at = True, timezone.now()
        chunk.save(update_fields=["done", "finished_at"])
        _count_done(run.pk, accounts=len(result.accounts))
    return True


def _relax_commit_durability() -> None:
    """Do not wait for this chunk's WAL to reach disk at commit (PostgreSQL).

    A chunk writes megabytes of derived rows. If a crash lost its commit, the
    snapshots and the chunk's done flag would be lost together, and the
    stalled-run watchdog would send the chunk again: nothing half-written.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _count_done(run_id: int, *, accounts: int) -> None:
    run = DriftRun.objects.select_for_update().get(pk=run_id)
    run.done_chunks += 1
    run.accounts += accounts
    fields = ["done_chunks", "accounts"]
    if run.done_chunks == run.expected_chunks:
        run.state, run.finished_at = DriftRunState.COMPLETE, timezone.now()
        fields += ["state", "finished_at"]
        with acting_as(**SYSTEM):
            record(
                firm=run.firm_id,
                action=actions.DRIFT_RUN_COMPLETED.code,
                obj=run,
                changes={"as_of": run.as_of, "accounts": run.accounts},
            )
        webhooks.drift_run_finished(run)
    run.save(update_fields=fields)


def fail_run(firm_id: int, run_id: int, message: str) -> None:
    """Mark a run failed, visibly, with the reason; its snapshots so far stay consistent."""
    with firm_scope(firm_id), transaction.atomic():
        run = DriftRun.objects.select_for_update().get(pk=run_id)
        if run.state == DriftRunState.COMPLETE:
            return
        run.errors = [*run.errors, message[:500]]
        run.state, run.finished_at = DriftRunState.FAILED, timezone.now()
        run.save(update_fields=["errors", "state", "finished_at"])
        with acting_as(**SYSTEM):
            record(
                firm=firm_id,
                action=actions.DRIFT_RUN_FAILED.code,
                obj=run,
                changes={"error": message},
            )
        webhooks.drift_run_finished(run)
    log.error("drift run %s failed: %s", run_id, message)


def unfinished_chunk_ids(run: DriftRun) -> list[int]:
    with firm_scope(run.firm_id):
        return list(run.chunks.filter(done=False).order_by("index").values_list("pk", flat=True))


def process_inline(run: DriftRun) -> DriftRun:
    """Do every unfinished chunk of a run in this process (commands, the demo, tests)."""
    for chunk_id in unfinished_chunk_ids(run):
        note_attempt(run.firm_id, chunk_id)
        process_chunk(run.firm_id, chunk_id)
    with firm_scope(run.firm_id):
        run.refresh_from_db()
    return run
