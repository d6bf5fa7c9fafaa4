"""Staged position imports: upload → check → preview → confirm (or cancel) → undo.

Nothing touches an account's lots until a firm admin confirms the preview.
The uploaded file is kept in Django storage while the import is open and
deleted when it ends. Confirming re-reads the file and refuses if the named
accounts' holdings changed since the preview (their digest differs); applying
snapshots the replaced lots (:class:`~portfolios.models.ReplacedLot`) so the
last applied import can be undone, which refuses in turn if the holdings
changed after it. Every state change is audited in its own transaction.

Every function takes ids and enters the firm scope itself, so the Celery
tasks (``portfolios.tasks``) and the views call the same code.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import IO, Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import Entry, record, record_many
from advisory.models import Account, Firm
from advisory.tenancy import firm_scope
from portfolios.imports.csv_rows import ImportResult
from portfolios.imports.mappings import layout_of
from portfolios.imports.positions import (
    POSITION_PRESETS,
    PositionPlan,
    apply_plan,
    plan_positions,
    summary,
)
from portfolios.imports.preview import build_preview, holdings_digest
from portfolios.models import (
    ACTIVE_IMPORT_STATES,
    ColumnMapping,
    ImportState,
    PositionImport,
    ReplacedLot,
    TaxLot,
)

SAVED_MAPPING = "mapping"  # PositionImport.preset of a file read with a saved column mapping

STALE_MESSAGE = (
    "The holdings of these accounts changed since the preview; nothing was applied. "
    "Upload the file again to see a fresh preview."
)


class ImportRefused(Exception):
    """A confirm, cancel or undo that cannot be done now; the message says why."""


# --- staging ------------------------------------------------------------------------------


def stage(
    firm: Firm,
    upload: IO[bytes],
    *,
    file_name: str,
    actor: Any,
    preset: str,
    partial: bool,
    rows_total: int,
    plan: PositionPlan | None = None,
    mapping: ColumnMapping | None = None,
) -> PositionImport:
    """Keep the file and open an import: with a ``plan`` (checked in the request) it is
    ready to preview; without one it is queued for the task to check.

    With a saved ``mapping`` the file is read (now and on confirm) with that very
    version, which the import records.
    """
    name = f"imports/positions/{firm.pk}/{uuid.uuid4().hex}.csv"
    stored = default_storage.save(name, File(upload))
    job = PositionImport(
        firm=firm,
        file_name=file_name[:255],
        stored_file=stored,
        preset=SAVED_MAPPING if mapping is not None else preset,
        mapping=mapping,
        partial=partial,
        rows_total=rows_total,
        run_async=plan is None,
        created_by=actor,
        state=ImportState.QUEUED,
    )
    try:
        with firm_scope(firm), transaction.atomic():
            if plan is not None:
                _fill_preview(job, plan)
            job.save()
            record(
                firm=firm,
                action=actions.POSITIONS_IMPORT_STAGED,
                obj=job,
                changes=_facts(job),
                actor=actor,
            )
    except BaseException:
        default_storage.delete(stored)
        raise
    return job


def check_staged(firm_id: int, import_id: int, *, progress_every: int | None = None) -> None:
    """The task's half of staging: read the stored file, fill in the preview or the errors.

    Idempotent: an import that is no longer queued or being checked is left alone.
    """
    with firm_scope(firm_id):
        claimed = PositionImport.objects.filter(
            pk=import_id, state__in=(ImportState.QUEUED, ImportState.VALIDATING)
        ).update(state=ImportState.VALIDATING, rows_done=0)
        if not claimed:
            return
        job = PositionImport.objects.get(pk=import_id)
        plan = _read_plan(job, progress=_progress_writer(import_id))
        _fill_preview(job, plan)
        with transaction.atomic():
            job.save()
            if job.state == ImportState.REJECTED:
                record(
                    firm=firm_id,
                    action=actions.POSITIONS_IMPORT_REJECTED,
                    obj=job,
                    changes=_facts(job),
                    actor=job.created_by,
                )
            else:
                record(
                    firm=firm_id,
                    action=actions.POSITIONS_IMPORT_CHECKED,
                    obj=job,
                    changes=_facts(job),
                    actor=job.created_by,
                )
            if job.state == ImportState.REJECTED:
                transaction.on_commit(lambda: _delete_file(job.stored_file))


def _fill_preview(job: PositionImport, plan: PositionPlan) -> None:
    result = plan.result
    job.rows_read = result.rows_read
    job.rows_done = result.rows_read
    job.error_count = result.error_count
    job.errors = [[e.row, e.column, e.message] for e in result.errors]
    if plan.rejected or not plan.groups:
        job.state = ImportState.REJECTED
        job.finished_at = timezone.now()
        return
    job.preview = build_preview(plan)
    job.account_ids = sorted(a.pk for a in plan.groups)
    job.holdings_digest = holdings_digest(job.account_ids)
    job.state = ImportState.PREVIEW


def _progress_writer(import_id: int) -> Callable[[int], None]:
    def write(rows_done: int) -> None:
        PositionImport.objects.filter(pk=import_id).update(rows_done=rows_done)

    return write


def _read_plan(job: PositionImport, progress: Callable[[int], None] | None = None) -> PositionPlan:
    saved = job.mapping if job.mapping_id else None
    mapping = layout_of(saved) if saved is not None else POSITION_PRESETS[job.preset]
    with default_storage.open(job.stored_file, "rb") as f:
        return plan_positions(
            job.firm_id, f, partial=job.partial, mapping=mapping, progress=progress
        )


# --- confirm, cancel ----------------------------------------------------------------------


def start_apply(firm_id: int, import_id: int) -> PositionImport:
    """Confirm a previewed import that a task will apply (large files): claim it."""
    with firm_scope(firm_id):
        job = _get(import_id)
        if job.state != ImportState.PREVIEW:
            raise ImportRefused(_nothing_to_do(job))
        PositionImport.objects.filter(pk=import_id, state=ImportState.PREVIEW).update(
            state=ImportState.APPLYING
        )
        job.refresh_from_db()
        return job


def apply_staged(firm_id: int, import_id: int, *, actor: Any) -> ImportResult:
    """Apply a previewed import: re-read the file, refuse if holdings changed, write, snapshot.

    Raises :class:`ImportRefused` (and marks the import stale) when the named
    accounts' lots are not what the preview saw.
    """
    with firm_scope(firm_id):
        job = _get(import_id)
        if job.state not in (ImportState.PREVIEW, ImportState.APPLYING):
            raise ImportRefused(_nothing_to_do(job))
        plan = _read_plan(job)
        try:
            with transaction.atomic():
                _lock_import(job)
                if job.state not in (ImportState.PREVIEW, ImportState.APPLYING):
                    raise ImportRefused("This import was confirmed or cancelled meanwhile.")
                _lock_accounts([a.pk for a in plan.groups] or job.account_ids)
                ids = sorted(a.pk for a in plan.groups)
                if ids != job.account_ids or holdings_digest(ids) != job.holdings_digest:
                    raise _Stale
                apply_plan(firm_id, plan, actor=actor, before_replace=_snapshot(job))
                job.applied_digest = holdings_digest(ids)
                job.lots_written = plan.result.written
                _finish(job, ImportState.APPLIED)
                transaction.on_commit(lambda: _delete_file(job.stored_file))
        except _Stale:
            _end(job, ImportState.STALE, actor, reason="holdings changed since the preview")
            raise ImportRefused(STALE_MESSAGE) from None
        return plan.result


def cancel(firm_id: int, import_id: int, *, actor: Any) -> PositionImport:
    with firm_scope(firm_id):
        job = _get(import_id)
        if job.state != ImportState.PREVIEW:
            raise ImportRefused(_nothing_to_do(job))
        _end(job, ImportState.CANCELLED, actor, reason="cancelled by the admin")
        return job


class _Stale(Exception):
    pass


def _end(job: PositionImport, state: str, actor: Any, *, reason: str) -> None:
    with transaction.atomic():
        updated = PositionImport.objects.filter(
            pk=job.pk, state__in=(ImportState.PREVIEW, ImportState.APPLYING)
        ).update(state=state, finished_at=timezone.now())
        if updated:
            job.refresh_from_db()
            record(
                firm=job.firm_id,
                action=actions.POSITIONS_IMPORT_CANCELLED,
                obj=job,
                changes={**_facts(job), "reason": reason},
                actor=actor,
            )
            transaction.on_commit(lambda: _delete_file(job.stored_file))


def fail(firm_id: int, import_id: int, reason: str) -> None:
    """A task gave up: the import says so, writes nothing more, and its file is deleted."""
    with firm_scope(firm_id):
        failed = PositionImport.objects.filter(pk=import_id, state__in=ACTIVE_IMPORT_STATES).update(
            state=ImportState.FAILED, failure=reason[:500], finished_at=timezone.now()
        )
        if failed:
            _delete_file(
                PositionImport.objects.values_list("stored_file", flat=True).get(pk=import_id)
            )


def _snapshot(job: PositionImport) -> Callable[[dict[int, list[TaxLot]]], None]:
    def keep(before: dict[int, list[TaxLot]]) -> None:
        ReplacedLot.objects.bulk_create(
            (
                ReplacedLot(
                    firm_id=job.firm_id,
                    position_import=job,
                    account_id=account_id,
                    security_id=lot.security_id,
                    quantity=lot.quantity,
                    cost_basis=lot.cost_basis,
                    acquired_on=lot.acquired_on,
                )
                for account_id, lots in before.items()
                for lot in lots
            ),
            batch_size=1000,
        )

    return keep


# --- undo ---------------------------------------------------------------------------------


def last_applied() -> PositionImport | None:
    """The import "Restore previous holdings" applies to (call inside the firm scope)."""
    newest = (
        PositionImport.objects.filter(state__in=(ImportState.APPLIED, ImportState.RESTORED))
        .order_by("-finished_at", "-pk")
        .first()
    )
    return newest if newest and newest.state == ImportState.APPLIED else None


def restore(firm_id: int, import_id: int, *, actor: Any) -> int:
    """Put back the lots the import replaced; returns the number of lots restored.

    Only the last applied import, and only while its accounts still hold exactly
    what it wrote.
    """
    with firm_scope(firm_id), transaction.atomic():
        job = _get(import_id)
        _lock_import(job)
        if job.state != ImportState.APPLIED or last_applied() != job:
            raise ImportRefused("Only the last applied position file can be undone.")
        _lock_accounts(job.account_ids)
        if holdings_digest(job.account_ids) != job.applied_digest:
            raise ImportRefused(
                "The holdings of these accounts changed after this import; nothing was restored."
            )
        entries, restored = _restore_lots(job, actor)
        job.state = ImportState.RESTORED
        job.save(update_fields=["state"])
        facts = {**_facts(job), "accounts": len(entries), "lots_restored": restored}
        entries.append(Entry(actions.POSITIONS_RESTORE, obj=job, changes=facts, actor=actor))
        record_many(firm=firm_id, entries=entries)
        return restored


def _restore_lots(job: PositionImport, actor: Any) -> tuple[list[Entry], int]:
    current: dict[int, list[TaxLot]] = {pk: [] for pk in job.account_ids}
    for lot in TaxLot.objects.filter(account_id__in=job.account_ids).select_related("security"):
        current[lot.account_id].append(lot)
    previous: dict[int, list[TaxLot]] = {pk: [] for pk in job.account_ids}
    for kept in job.replaced_lots.select_related("security"):
        previous[kept.account_id].append(
            TaxLot(
                firm_id=job.firm_id,
                account_id=kept.account_id,
                security=kept.security,
                quantity=kept.quantity,
                cost_basis=kept.cost_basis,
                acquired_on=kept.acquired_on,
            )
        )
    TaxLot.objects.filter(account_id__in=job.account_ids).delete()
    TaxLot.objects.bulk_create([lot for lots in previous.values() for lot in lots], batch_size=1000)
    accounts = Account.objects.in_bulk(job.account_ids)
    entries = [
        Entry(
            actions.POSITIONS_RESTORED,
            obj=accounts[pk],
            actor=actor,
            changes={
                "lots": {"before": summary(current[pk]), "after": summary(previous[pk])},
                "import": job.pk,
            },
        )
        for pk in job.account_ids
        if pk in accounts
    ]
    return entries, sum(len(lots) for lots in previous.values())


# --- small helpers ------------------------------------------------------------------------


def _get(import_id: int) -> PositionImport:
    """Through the scoped manager: another firm's import is DoesNotExist (a 404)."""
    return PositionImport.objects.get(pk=import_id)


def _lock_import(job: PositionImport) -> None:
    PositionImport.objects.select_for_update().filter(pk=job.pk).values_list("pk").get()
    job.refresh_from_db()


def _lock_accounts(ids: list[int]) -> None:
    list(Account.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _finish(job: PositionImport, state: str) -> None:
    job.state = state
    job.finished_at = timezone.now()
    job.save()


def _facts(job: PositionImport) -> dict[str, Any]:
    preview = job.preview or {}
    facts = {
        "file": job.file_name,
        "state": job.state,
        "rows": job.rows_read or job.rows_total,
        "errors": job.error_count,
        "accounts": preview.get("accounts_total", 0),
        "flagged": preview.get("flagged", 0),
    }
    if job.mapping_id and job.mapping is not None:
        facts["mapping"] = {"id": job.mapping_id, "version": job.mapping.version}
    if preview.get("owners_changed"):
        facts["owners_changed"] = preview["owners_changed"]
    return facts


def _nothing_to_do(job: PositionImport) -> str:
    return f"This import is {job.get_state_display().lower()}: there is nothing to do."


def _delete_file(name: str) -> None:
    if name:
        default_storage.delete(name)
