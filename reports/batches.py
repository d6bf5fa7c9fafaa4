"""Report batches: the household report for a month for every household in an advisor's book
(or, for a firm admin, the whole firm) that has a model.

:func:`start_batch` writes one pending item per household, audited ``report_batch.started``.
The Celery task :func:`reports.tasks.generate_household_report` runs :func:`process_item` for
each item: the item is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and the report, its
audit event and the item's outcome are committed in one transaction, so a redelivered task
after a killed worker finds the item done (or still pending) and never archives twice. A
household that fails (a missing disclosure, say) is recorded and the batch goes on; the last
item done completes the batch.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.audit import record
from advisory.models import Firm, Household, HouseholdTeamMember, Membership, User
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from config.db_routing.router import use_replica

from .archive import generate_report
from .models import (
    ReportBatch,
    ReportBatchItem,
    ReportBatchScope,
    ReportBatchState,
    ReportOutcome,
)
from .report_build import build_household_report
from .report_data import ReportData

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


class ReportBatchError(ValueError):
    """The batch cannot start; the message says why."""


def start_batch(
    *, firm: Firm, user: User, period_start: dt.date, period_end: dt.date, scope: str
) -> ReportBatch:
    """Create the batch and its pending items; the caller dispatches the tasks on commit."""
    with firm_scope(firm), transaction.atomic():
        membership = Membership.objects.filter(user=user, is_active=True).first()
        if membership is None or not membership.can_write:
            raise PermissionDenied("Only the firm's advisors and admins can generate reports.")
        if scope == ReportBatchScope.FIRM and not membership.sees_whole_firm:
            raise PermissionDenied("Only a firm admin can generate reports for the whole firm.")
        if scope not in ReportBatchScope.values:
            raise ReportBatchError(f"Unknown scope {scope!r}.")
        running = ReportBatch.objects.filter(
            requested_by=user, state__in=(ReportBatchState.QUEUED, ReportBatchState.RUNNING)
        ).first()
        if running is not None:
            raise ReportBatchError(f"Your report batch #{running.pk} is still running.")
        if scope == ReportBatchScope.BOOK:  # the households they advise, admins included
            on_team = HouseholdTeamMember.objects.filter(
                household=OuterRef("pk"), membership=membership
            )
            households = Household.objects.filter(
                Q(primary_advisor=membership) | Q(Exists(on_team))
            )
        else:
            households = Household.objects.all()
        with_model = households.filter(model__isnull=False).order_by("name", "pk")
        ids = list(with_model.values_list("pk", flat=True))
        if not ids:
            where = "in your book" if scope == ReportBatchScope.BOOK else "in the firm"
            raise ReportBatchError(f"No household {where} has a model: nothing to report.")
        batch = ReportBatch.objects.create(
            firm=firm,
            requested_by=user,
            scope=scope,
            period_start=period_start,
            period_end=period_end,
            total=len(ids),
        )
        ReportBatchItem.objects.bulk_create(
            ReportBatchItem(firm=firm, batch=batch, household_id=hid, position=n)
            for n, hid in enumerate(ids)
        )
        record(
            firm=firm,
            action=actions.REPORT_BATCH_STARTED.code,
            obj=batch,
            changes={
                "scope": scope,
                "period": f"{period_start}/{period_end}",
                "households": ids,
            },
            actor=user,
            actor_label=user.email,
            role=membership.role,
        )
        return batch


def process_item(firm_id: int, item_id: int, household_id: int, period: str) -> str:
    """Generate the report of one pending item: its outcome, ``"skipped"`` when the item is
    done already, ``"busy"`` when another transaction holds it (the caller retries later)."""
    with firm_scope(firm_id):
        # Its own short transaction: the batch row is shared by every item's task, and an item
        # transaction holding it while it renders would make the others wait.
        ReportBatch.objects.filter(items__pk=item_id, state=ReportBatchState.QUEUED).update(
            state=ReportBatchState.RUNNING, updated_at=timezone.now()
        )
        gathered = _gather(item_id, household_id, period)
        with transaction.atomic():
            item = (
                _pending_item(item_id, household_id, period)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("household", "batch__requested_by")
                .order_by()
                .first()
            )
            if item is None:  # done, or being done by another delivery of the same task
                pending = ReportBatchItem.objects.filter(
                    pk=item_id, outcome=ReportOutcome.PENDING
                ).exists()
                return "busy" if pending else "skipped"
            batch = item.batch
            user = batch.requested_by
            try:
                if isinstance(gathered, Exception):
                    raise gathered
                with (
                    transaction.atomic(),
                    acting_as(actor_label=f"report batch #{batch.pk}", role="system"),
                ):
                    report = generate_report(
                        household=item.household,
                        period_start=batch.period_start,
                        period_end=batch.period_end,
                        actor=user,
                        data=gathered,
                    )
            except TRANSIENT:
                raise
            except Exception as exc:  # recorded on the item; the batch goes on
                item.outcome = ReportOutcome.FAILED
                item.detail = _clip(str(exc) or type(exc).__name__)
            else:
                item.outcome = ReportOutcome.GENERATED
                item.report = report
                item.detail = ""
            item.save(update_fields=["outcome", "detail", "report"])
            ReportBatch.objects.filter(pk=batch.pk).update(
                done=F("done") + 1, updated_at=timezone.now()
            )
        _finish(batch.pk)
        return item.outcome


def _pending_item(item_id: int, household_id: int, period: str) -> QuerySet[ReportBatchItem]:
    """The task's item, while it is still pending (the task's arguments must all match)."""
    return ReportBatchItem.objects.filter(
        pk=item_id,
        household_id=household_id,
        batch__period_start=dt.date.fromisoformat(period),
        outcome=ReportOutcome.PENDING,
    )


def _gather(item_id: int, household_id: int, period: str) -> ReportData | Exception | None:
    """The item's report contents, read before the item is locked and from the replica when
    it has replayed everything committed before the batch was started (the batch sees what
    its advisor saw; the lag guard and ``fresh_since``: config/db_routing/router.py). None when
    the item is not pending; a failure to build (a missing disclosure) is returned, to be
    recorded on the item under its lock."""
    item = _pending_item(item_id, household_id, period).select_related("household", "batch").first()
    if item is None:
        return None
    batch = item.batch
    try:
        with use_replica(fresh_since=batch.created_at):
            return build_household_report(
                household=item.household,
                period_start=batch.period_start,
                period_end=batch.period_end,
            )
    except TRANSIENT:
        raise
    except Exception as exc:  # recorded on the item under its lock
        return exc


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finish(batch_id: int) -> None:
    with transaction.atomic():
        batch = ReportBatch.objects.select_for_update().get(pk=batch_id)
        if not batch.active or batch.items.filter(outcome=ReportOutcome.PENDING).exists():
            return
        batch.state = ReportBatchState.COMPLETE
        batch.finished_at = timezone.now()
        batch.save(update_fields=["state", "finished_at", "updated_at"])
        record(
            firm=batch.firm_id,
            action=actions.REPORT_BATCH_COMPLETED.code,
            obj=batch,
            changes={"outcomes": outcome_counts(batch)},
            actor_label=f"report batch #{batch.pk}",
            role="system",
        )


def fail_batch(firm_id: int, batch_id: int, message: str) -> None:
    """Mark the batch failed (a task ran out of retries); items done stay done."""
    with firm_scope(firm_id), transaction.atomic():
        batch = ReportBatch.objects.select_for_update().get(pk=batch_id)
        if not batch.active:
            return
        batch.state = ReportBatchState.FAILED
        batch.errors = [*batch.errors, message]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["state", "errors", "finished_at", "updated_at"])
        record(
            firm=firm_id,
            action=actions.REPORT_BATCH_FAILED.code,
            obj=batch,
            changes={"error": message, "outcomes": outcome_counts(batch)},
            actor_label=f"report batch #{batch.pk}",
            role="system",
        )
    log.error("report batch %s failed: %s", batch_id, message)


def outcome_counts(batch: ReportBatch) -> dict[str, int]:
    counts = {o: 0 for o in ReportOutcome.values}
    rows = batch.items.values_list("outcome").annotate(n=Count("pk")).order_by()
    for outcome, n in rows:
        counts[outcome] = n
    return counts


def pending_items(firm_id: int, batch_id: int) -> list[tuple[int, int, str]]:
    """(item id, household id, period start) of the batch's pending items, in order."""
    with firm_scope(firm_id):
        rows = (
            ReportBatchItem.objects.filter(batch_id=batch_id, outcome=ReportOutcome.PENDING)
            .order_by("position")
            .values_list("pk", "household_id", "batch__period_start")
        )
        return [(pk, hid, start.isoformat()) for pk, hid, start in rows]


def batch_of_item(firm_id: int, item_id: int) -> int | None:
    with firm_scope(firm_id):
        return ReportBatchItem.objects.filter(pk=item_id).values_list("batch_id", flat=True).first()


def stalled_batch_ids(firm_id: int, cutoff: dt.datetime) -> list[int]:
    """The firm's queued or running batches untouched since ``cutoff`` (the watchdog's)."""
    with firm_scope(firm_id):
        return list(
            ReportBatch.objects.filter(
                state__in=(ReportBatchState.QUEUED, ReportBatchState.RUNNING),
                updated_at__lt=cutoff,
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def resume_batch(firm_id: int, batch_id: int, cutoff: dt.datetime) -> list[tuple[int, int, str]]:
    """Claim a stalled batch for one resend: the pending items the caller sends again.

    The batch is touched (``updated_at``), so the watchdog waits another stall period before
    it resends it, and ``report_batch.resumed`` is recorded, both in one transaction that
    locks the batch; a batch another watchdog just claimed, or that moved on meanwhile, gives
    nothing. A batch left active with no pending item (a worker died between an item's
    commit and the batch's completion) is completed instead."""
    with firm_scope(firm_id):
        with transaction.atomic():
            batch = (
                ReportBatch.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=batch_id,
                    state__in=(ReportBatchState.QUEUED, ReportBatchState.RUNNING),
                    updated_at__lt=cutoff,
                )
                .first()
            )
            if batch is None:
                return []
            items = pending_items(firm_id, batch_id)
            if items:
                batch.save(update_fields=["updated_at"])  # auto_now: the resend's time
                record(
                    firm=firm_id,
                    action=actions.REPORT_BATCH_RESUMED.code,
                    obj=batch,
                    changes={"resent": len(items), "items": [item_id for item_id, _, _ in items]},
                    actor_label="report batch watchdog",
                    role="system",
                )
        if not items:
            _finish(batch_id)
        return items
