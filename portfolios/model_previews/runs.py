"""Preview runs: planning the chunks, doing one chunk exactly once, finishing the preview.

As for drift runs, exactly-once comes from the database, not the broker: a chunk is done in
one transaction that locks its row, writes its household rows and marks it done (a
redelivered or duplicate task finds it done and does nothing; a worker killed mid-chunk
rolls back and the redelivered task does it again), (preview, household) is unique, and
the last chunk to finish computes the totals under the preview's row lock.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm, Household, Membership, User
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.drift.queries import latest_as_of
from portfolios.model_previews.compute import preview_row
from portfolios.model_previews.loading import load_chunk
from portfolios.model_previews.results import compute_totals
from portfolios.model_previews.storage import insert_rows
from portfolios.model_previews.targets import version_targets
from portfolios.model_versions.lines import Line
from portfolios.models import (
    DriftSnapshot,
    DriftStatus,
    ModelPreview,
    ModelPreviewChunk,
    ModelVersion,
    ModelVersionState,
    PreviewState,
)
from portfolios.proposals.inputs import options_from_json, options_to_json
from portfolios.rebalance.types import Options

log = logging.getLogger(__name__)
SYSTEM = {"actor_label": "model preview", "role": "system"}
PREVIEW_MODES = ("to_target", "to_band")


class PreviewError(ValueError):
    """The preview cannot start; the message says why."""


def start_preview(
    *, firm: Firm, version: ModelVersion, user: User, options: Options, chunk_households=None
) -> tuple[ModelPreview, bool]:
    """Create a preview of a draft and its chunks, or return the draft's preview in progress.

    Returns ``(preview, created)``; the caller dispatches the chunks after commit.
    """
    size = chunk_households or settings.BALLAST_PREVIEW_CHUNK_HOUSEHOLDS
    with firm_scope(firm), transaction.atomic():
        membership = Membership.objects.filter(user=user, is_active=True).first()
        if membership is None or not membership.can_write:
            raise PermissionDenied("Only the firm's advisors and admins can preview models.")
        version = (
            ModelVersion.objects.select_for_update().select_related("model").get(pk=version.pk)
        )
        if version.state != ModelVersionState.DRAFT:
            raise PreviewError(
                f"Version {version.number} is not a draft: only drafts are previewed."
            )
        if options.mode not in PREVIEW_MODES:
            raise PreviewError("A preview trades to target or back to the bands.")
        running = version.previews.filter(state__in=(PreviewState.QUEUED, PreviewState.RUNNING))
        if running.exists():
            return running.first(), False
        ids = list(
            Household.objects.filter(model=version.model)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        preview = ModelPreview.objects.create(
            firm=firm,
            version=version,
            model=version.model,
            lines=version.lines,
            mode=options.mode,
            options=options_to_json(options),
            as_of=options.as_of,
            drift_as_of=latest_as_of(),
            requested_by=user,
            households=len(ids),
            expected_chunks=-(-len(ids) // size),
        )
        ModelPreviewChunk.objects.bulk_create(
            ModelPreviewChunk(firm=firm, preview=preview, index=n, household_ids=ids[i : i + size])
            for n, i in enumerate(range(0, len(ids), size))
        )
        record(
            firm=firm,
            action=actions.MODEL_PREVIEW_STARTED.code,
            obj=preview,
            changes={
                "model": version.model.name,
                "version": version.number,
                "mode": options.mode,
                "options": preview.options,
                "households": len(ids),
            },
            actor=user,
            actor_label=user.email,
            role=membership.role,
        )
        if not ids:  # nothing follows the model: complete at once
            _complete(preview)
        return preview, True


def note_attempt(firm_id: int, chunk_id: int) -> int:
    """Count an attempt and mark the preview running, in a short transaction of its own
    (committed before the work starts, so a killed worker's attempts still count)."""
    with firm_scope(firm_id), transaction.atomic():
        chunk = ModelPreviewChunk.objects.select_for_update().get(pk=chunk_id)
        chunk.attempts += 1
        chunk.save(update_fields=["attempts"])
        ModelPreview.objects.filter(pk=chunk.preview_id, state=PreviewState.QUEUED).update(
            state=PreviewState.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
        )
        return chunk.attempts


def process_chunk(firm_id: int, chunk_id: int) -> bool:
    """Compute and store one chunk. Returns False when there was nothing to do."""
    with firm_scope(firm_id), transaction.atomic():
        chunk = (
            ModelPreviewChunk.objects.select_for_update(of=("self",))
            .select_related("preview__model")
            .get(pk=chunk_id)
        )
        preview = chunk.preview
        if chunk.done or preview.state in (PreviewState.COMPLETE, PreviewState.FAILED):
            return False
        model = version_targets(preview.model, [Line.from_json(x) for x in preview.lines])
        with gc_paused():
            options = options_from_json(preview.options)
            loaded = list(load_chunk(firm_id, chunk.household_ids, options, model))
            started = time.perf_counter()
            rows = [preview_row(x) for x in loaded]
            engine_s = time.perf_counter() - started
        now = _statuses_now(chunk.household_ids, preview.drift_as_of)
        insert_rows(firm_id, preview.pk, rows, now)
        chunk.done, chunk.finished_at = True, timezone.now()
        chunk.save(update_fields=["done", "finished_at"])
        _count_done(preview.pk, engine_s)
    return True


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a chunk is read and proposed for.

    A chunk builds ~10^5 long-lived objects (lots, inputs, results); the collector walks them
    again and again as they pile up (a third of the loading time, measured), and nothing
    among them is garbage before the chunk is done. The next allocation after this block
    lets the collector run as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _statuses_now(household_ids: list[int], drift_as_of) -> dict[int, bool | None]:
    """Breached or not per the drift snapshots the preview compares against (live model)."""
    if drift_as_of is None:
        return {}
    rows = DriftSnapshot.objects.filter(
        kind="household", as_of=drift_as_of, subject_id__in=household_ids
    ).values_list("subject_id", "status")
    known = (DriftStatus.BREACHED, DriftStatus.IN_BAND)
    return {hid: status == DriftStatus.BREACHED for hid, status in rows if status in known}


def _count_done(preview_id: int, engine_s: float) -> None:
    preview = ModelPreview.objects.select_for_update().get(pk=preview_id)
    preview.done_chunks += 1
    preview.engine_seconds += Decimal(f"{engine_s:.3f}")
    preview.save(update_fields=["done_chunks", "engine_seconds", "updated_at"])
    if preview.done_chunks == preview.expected_chunks:
        _complete(preview)


def _complete(preview: ModelPreview) -> None:
    preview.totals = compute_totals(preview)
    preview.state, preview.finished_at = PreviewState.COMPLETE, timezone.now()
    preview.save(update_fields=["totals", "state", "finished_at", "updated_at"])
    firm = preview.totals.get("firm", {})
    with acting_as(**SYSTEM):
        record(
            firm=preview.firm_id,
            action=actions.MODEL_PREVIEW_COMPLETED.code,
            obj=preview,
            changes={
                "households": preview.households,
                "trading": firm.get("trading", 0),
                "turnover": firm.get("turnover", "0.00"),
                "realized_short_term": firm.get("realized_short_term", "0.00"),
                "realized_long_term": firm.get("realized_long_term", "0.00"),
                "failed": firm.get("failed", 0),
            },
        )


def fail_preview(firm_id: int, preview_id: int, message: str) -> None:
    """Mark a preview failed, visibly, with the reason."""
    with firm_scope(firm_id), transaction.atomic():
        preview = ModelPreview.objects.select_for_update().get(pk=preview_id)
        if preview.state in (PreviewState.COMPLETE, PreviewState.FAILED):
            return
        preview.errors = [*preview.errors, message[:500]]
        preview.state, preview.finished_at = PreviewState.FAILED, timezone.now()
        preview.save(update_fields=["errors", "state", "finished_at", "updated_at"])
        with acting_as(**SYSTEM):
            record(
                firm=firm_id,
                action=actions.MODEL_PREVIEW_FAILED.code,
                obj=preview,
                changes={"error": message},
            )
    log.error("model preview %s failed: %s", preview_id, message)


def unfinished_chunk_ids(preview: ModelPreview) -> list[int]:
    with firm_scope(preview.firm_id):
        return list(
            preview.chunks.filter(done=False).order_by("index").values_list("pk", flat=True)
        )


def process_inline(preview: ModelPreview) -> ModelPreview:
    """Do every unfinished chunk in this process (the demo's in-process tasks, tests)."""
    for chunk_id in unfinished_chunk_ids(preview):
        note_attempt(preview.firm_id, chunk_id)
        process_chunk(preview.firm_id, chunk_id)
    with firm_scope(preview.firm_id):
        preview.refresh_from_db()
    return preview
