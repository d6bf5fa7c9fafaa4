"""Celery tasks: thin callers of portfolios.drift.runs and the pricing check.

Every task takes ids and ISO dates, enters the firm scope from the id it is
given, is safe to run twice, acknowledges late (a worker killed mid-task
leaves the message to be redelivered) and retries transient database and
broker errors with exponential backoff and jitter. When retries run out the
run is marked ``failed`` so the UI shows it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import Task, group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from advisory.models import Firm
from advisory.tenancy import firm_scope
from portfolios.drift import runs as drift_runs
from portfolios.imports import staging as position_imports
from portfolios.model_previews import runs as preview_runs
from portfolios.models import (
    ACTIVE_BATCH_STATES,
    ACTIVE_PREVIEW_STATES,
    DriftChunk,
    DriftRun,
    DriftRunState,
    ModelPreview,
    ModelPreviewChunk,
    ProposalBatch,
)
from portfolios.pricing.coverage import check_coverage
from portfolios.pricing.feed import run_configured_feed
from portfolios.proposals import batches as proposal_batches

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError, BrokerError, ConnectionError, TimeoutError)
RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 6,
}


def _date(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else timezone.localdate()


class ChunkTask(Task):
    """Marks the run failed once a chunk has used up its retries."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo) -> None:
        firm_id, chunk_id = args[0], args[1]
        with firm_scope(firm_id):
            run_id = DriftChunk.objects.values_list("run_id", flat=True).get(pk=chunk_id)
        drift_runs.fail_run(firm_id, run_id, f"chunk {chunk_id}: {type(exc).__name__}: {exc}")


@shared_task(
    base=ChunkTask,
    name="portfolios.tasks.drift_chunk",
    soft_time_limit=15 * 60,
    time_limit=20 * 60,
    **RETRY,
)
def drift_chunk(firm_id: int, chunk_id: int) -> bool:
    attempts = drift_runs.note_attempt(firm_id, chunk_id)
    if attempts > settings.BALLAST_DRIFT_MAX_CHUNK_ATTEMPTS:
        raise RuntimeError(f"gave up after {attempts - 1} attempts")  # → on_failure
    return drift_runs.process_chunk(firm_id, chunk_id)


def dispatch_chunks(run: DriftRun) -> int:
    """Send a task for every unfinished chunk of a run (idempotent: done chunks skip)."""
    chunk_ids = drift_runs.unfinished_chunk_ids(run)
    if chunk_ids:
        group(drift_chunk.s(run.firm_id, c) for c in chunk_ids).apply_async()
    return len(chunk_ids)


@shared_task(name="portfolios.tasks.drift_firm", soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def drift_firm(firm_id: int, as_of: str | None = None, requested_by_id: int | None = None) -> int:
    """Start (or join) the firm's drift run for ``as_of`` and fan out its chunks."""
    firm = Firm.objects.get(pk=firm_id)
    with firm_scope(firm), transaction.atomic():
        run, created = drift_runs.start_run(firm, _date(as_of), requested_by=_user(requested_by_id))
        if created:
            transaction.on_commit(lambda: dispatch_chunks(run))
    return run.pk


@shared_task(name="portfolios.tasks.price_firm", soft_time_limit=5 * 60, time_limit=6 * 60, **RETRY)
def price_firm(firm_id: int, as_of: str | None = None) -> dict:
    """Check that the firm's holdings are priced for ``as_of``, then compute drift.

    Prices arrive by import (``portfolios.pricing``); this records which
    held symbols have no fresh price, so stale holdings are known before
    the drift run marks their accounts incomplete.
    """
    firm = Firm.objects.get(pk=firm_id)
    with firm_scope(firm), transaction.atomic():
        coverage = check_coverage(firm, _date(as_of))
        drift_firm.delay_on_commit(firm_id, _date(as_of).isoformat())
    return coverage


@shared_task(name="portfolios.tasks.nightly", **RETRY)
def nightly(as_of: str | None = None) -> int:
    """The beat entry point: load the price feed, then price and compute drift for every firm.

    The feed runs first, in this task, so every firm's drift sees the night's closes
    (a retried task finds the feed's files already loaded: nothing is loaded twice).
    """
    run_configured_feed(_date(as_of))
    firms = list(Firm.objects.values_list("pk", flat=True))
    for firm_id in firms:
        price_firm.delay(firm_id, as_of)
    return len(firms)


class BatchTask(Task):
    """Marks the batch failed once its task has used up its retries."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo) -> None:
        proposal_batches.fail_batch(args[0], args[1], f"{type(exc).__name__}: {exc}")


@shared_task(
    base=BatchTask,
    name="portfolios.tasks.propose_batch",
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
    **RETRY,
)
def propose_batch(firm_id: int, batch_id: int, part: int = 0, parts: int = 1) -> dict:
    """Draft proposals for one part of a batch's pending households (done items skip)."""
    batch = proposal_batches.process_batch(firm_id, batch_id, part, parts)
    return {"batch": batch.pk, "state": batch.state, "done": batch.done, "total": batch.total}


def dispatch_batch(firm_id: int, batch_id: int, total: int) -> int:
    """Send a batch's parts, one task each, so the workers share it."""
    parts = proposal_batches.parts_for(total)
    group(propose_batch.s(firm_id, batch_id, part, parts) for part in range(parts)).apply_async()
    return parts


# --- Model-change previews ------------------------------------------------------------------


class PreviewChunkTask(Task):
    """Marks the preview failed once a chunk has used up its retries."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo) -> None:
        firm_id, chunk_id = args[0], args[1]
        with firm_scope(firm_id):
            preview_id = ModelPreviewChunk.objects.values_list("preview_id", flat=True).get(
                pk=chunk_id
            )
        preview_runs.fail_preview(
            firm_id, preview_id, f"chunk {chunk_id}: {type(exc).__name__}: {exc}"
        )


@shared_task(
    base=PreviewChunkTask,
    name="portfolios.tasks.preview_chunk",
    soft_time_limit=15 * 60,
    time_limit=20 * 60,
    **RETRY,
)
def preview_chunk(firm_id: int, chunk_id: int) -> bool:
    attempts = preview_runs.note_attempt(firm_id, chunk_id)
    if attempts > settings.BALLAST_PREVIEW_MAX_CHUNK_ATTEMPTS:
        raise RuntimeError(f"gave up after {attempts - 1} attempts")  # → on_failure
    return preview_runs.process_chunk(firm_id, chunk_id)


def dispatch_preview(preview: ModelPreview) -> int:
    """Send a task for every unfinished chunk of a preview (idempotent: done chunks skip)."""
    chunk_ids = preview_runs.unfinished_chunk_ids(preview)
    if chunk_ids:
        group(preview_chunk.s(preview.firm_id, c) for c in chunk_ids).apply_async()
    return len(chunk_ids)


@shared_task(name="portfolios.tasks.resume_stalled_runs", **RETRY)
def resume_stalled_runs() -> int:
    """Re-send the unfinished work of drift runs, previews and proposal batches that stalled.

    The broker can lose messages (a Redis restart without persistence); the
    database knows which chunks and items are not done, so this brings such
    runs to completion. Duplicates are harmless: done work is skipped.
    """
    cutoff = timezone.now() - dt.timedelta(seconds=settings.BALLAST_DRIFT_STALL_SECONDS)
    resent = 0
    for firm_id in Firm.objects.values_list("pk", flat=True):
        with firm_scope(firm_id):
            stalled = ProposalBatch.objects.filter(
                state__in=ACTIVE_BATCH_STATES, updated_at__lt=cutoff
            ).values_list("pk", flat=True)
            for batch_id in stalled:
                propose_batch.delay(firm_id, batch_id)
                resent += 1
            previews = ModelPreview.objects.filter(
                state__in=ACTIVE_PREVIEW_STATES, updated_at__lt=cutoff
            )
            for preview in previews:
                resent += dispatch_preview(preview)
            runs = list(
                DriftRun.objects.filter(
                    state__in=(DriftRunState.PENDING, DriftRunState.RUNNING),
                    created_at__lt=cutoff,
                )
            )
            for run in runs:
                recent = run.chunks.filter(finished_at__gte=cutoff).exists()
                if not recent:
                    resent += dispatch_chunks(run)
    return resent


def _user(user_id: int | None):
    from advisory.models import User

    return User.objects.filter(pk=user_id).first() if user_id else None


# --- Position imports (large files: checked and applied here, with progress) -----------------


class PositionImportTask(Task):
    """Marks the import failed once its task has used up its retries."""

    def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo) -> None:
        position_imports.fail(args[0], args[1], f"{type(exc).__name__}: {exc}")


@shared_task(
    base=PositionImportTask,
    name="portfolios.tasks.check_position_import",
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
    **RETRY,
)
def check_position_import(firm_id: int, import_id: int) -> int:
    """Read a staged position file and prepare its preview (writes no lots)."""
    position_imports.check_staged(firm_id, import_id)
    return import_id


@shared_task(
    base=PositionImportTask,
    name="portfolios.tasks.apply_position_import",
    soft_time_limit=10 * 60,
    time_limit=12 * 60,
    **RETRY,
)
def apply_position_import(firm_id: int, import_id: int, actor_id: int | None = None) -> int:
    """Apply a confirmed position import (refused, not retried, if holdings changed)."""
    try:
        position_imports.apply_staged(firm_id, import_id, actor=_user(actor_id))
    except position_imports.ImportRefused as exc:
        log.info("position import %s not applied: %s", import_id, exc)
    return import_id
