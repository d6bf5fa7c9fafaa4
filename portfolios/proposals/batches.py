"""Batch proposals: a draft for every breached household in an advisor's book.

:func:`start_batch` picks the households (breached in the latest drift
snapshots, worst first, in the requester's book) and writes one pending item
each, audited as ``proposal_batch.started``. :func:`process_batch` (run by the
Celery task ``portfolios.tasks.propose_batch``) proposes for each pending item
in its own transaction, the item's outcome committed with the proposal, so a
redelivered task carries on where a killed one stopped and never proposes twice.

A household that already has an open proposal (draft, submitted, approved or exported: see
:data:`portfolios.proposals.core.OPEN_STATES`) is skipped (the advisor is working on it,
or its exported orders may still execute); one whose proposal has no trades keeps no empty
draft, only the engine's reason. A household that fails (missing prices, say) is recorded and
the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from advisory import audit_actions as actions
from advisory.access import households_for
from advisory.audit import record
from advisory.models import Firm, Household, Membership, User
from advisory.tenancy import firm_scope
from portfolios.drift.queries import latest_as_of
from portfolios.models import (
    BatchOutcome,
    BatchState,
    DriftSnapshot,
    DriftStatus,
    Proposal,
    ProposalBatch,
    ProposalBatchItem,
)
from portfolios.proposals import workflow
from portfolios.proposals.core import OPEN_STATES
from portfolios.proposals.inputs import ProposalInputError, options_from_json, options_to_json
from portfolios.rebalance.notes import text_of
from portfolios.rebalance.types import Options

log = logging.getLogger(__name__)


class BatchError(ValueError):
    """The batch cannot start; the message says why."""


@dataclass(frozen=True)
class Breached:
    household_id: int
    worst_abs_drift: Decimal | None


def breached_in_book(membership: Membership) -> tuple[dt.date | None, list[Breached]]:
    """The latest drift date and the book's breached households on it, worst drift first."""
    as_of = latest_as_of()
    if as_of is None:
        return None, []
    rows = (
        DriftSnapshot.objects.filter(
            kind="household",
            as_of=as_of,
            status=DriftStatus.BREACHED,
            subject_id__in=households_for(membership).values("pk"),
        )
        .order_by(F("worst_abs_drift").desc(nulls_last=True), "subject_id")
        .values_list("subject_id", "worst_abs_drift")
    )
    return as_of, [Breached(hid, worst) for hid, worst in rows]


def _named_in_book(membership: Membership, households: list[int]) -> list[Breached]:
    """The named households that are in the membership's book, in the order given."""
    mine = set(households_for(membership).filter(pk__in=households).values_list("pk", flat=True))
    return [Breached(hid, None) for hid in households if hid in mine]


def parts_for(total: int) -> int:
    """How many tasks share a batch: one per ~50 households, at most the configured workers."""
    return max(1, min(settings.BALLAST_BATCH_PARTS, -(-total // 50)))


def start_batch(
    *,
    firm: Firm,
    user: User,
    options: Options,
    households: list[int] | None = None,
    drift_as_of: dt.date | None = None,
) -> ProposalBatch:
    """Create the batch and its pending items; the caller dispatches the task on commit.

    By default the households are the breached ones of the requester's book (latest drift);
    ``households`` names them instead (those of a model-change preview that would trade),
    kept to the requester's book, in the order given.
    """
    with firm_scope(firm), transaction.atomic():
        membership = Membership.objects.filter(user=user, is_active=True).first()
        if membership is None or not membership.can_write:
            raise PermissionDenied("Only the firm's advisors and admins can propose.")
        running = ProposalBatch.objects.filter(
            requested_by=user, state__in=(BatchState.QUEUED, BatchState.RUNNING)
        ).first()
        if running is not None:
            raise BatchError(f"Your batch #{running.pk} is still running: wait for it to finish.")
        if households is None:
            drift_as_of, breached = breached_in_book(membership)
            if not breached:
                raise BatchError(
                    "No household in your book is outside its bands: nothing to propose."
                )
        else:
            breached = _named_in_book(membership, households)
            if not breached:
                raise BatchError("None of these households is in your book: nothing to propose.")
            drift_as_of = drift_as_of or options.as_of
        batch = ProposalBatch.objects.create(
            firm=firm,
            requested_by=user,
            mode=options.mode,
            options=options_to_json(options),
            as_of=options.as_of,
            drift_as_of=drift_as_of,
            total=len(breached),
        )
        ProposalBatchItem.objects.bulk_create(
            ProposalBatchItem(
                firm=firm,
                batch=batch,
                household_id=b.household_id,
                position=n,
                worst_abs_drift=b.worst_abs_drift,
            )
            for n, b in enumerate(breached)
        )
        record(
            firm=firm,
            action=actions.PROPOSAL_BATCH_STARTED.code,
            obj=batch,
            changes={
                "mode": options.mode,
                "options": batch.options,
                "drift_as_of": drift_as_of.isoformat(),
                "households": [b.household_id for b in breached],
            },
            actor=user,
            actor_label=user.email,
            role=membership.role,
        )
        return batch


def process_batch(firm_id: int, batch_id: int, part: int = 0, parts: int = 1) -> ProposalBatch:
    """Propose for the pending items of one part; safe to run twice or after a crash.

    A batch is split into ``parts`` interleaved by position (``position % parts == part``),
    one task each, so the worker processes share it; whichever part ends last completes
    the batch. ``parts=1`` (the watchdog's resend) takes every pending item.
    """
    with firm_scope(firm_id):
        batch = ProposalBatch.objects.select_related("requested_by").get(pk=batch_id)
        if batch.state in (BatchState.COMPLETE, BatchState.FAILED):
            return batch
        ProposalBatch.objects.filter(pk=batch.pk, state=BatchState.QUEUED).update(
            state=BatchState.RUNNING, started_at=timezone.now(), updated_at=timezone.now()
        )
        options = options_from_json(batch.options)
        pending = [
            pk
            for pk, position in batch.items.filter(outcome=BatchOutcome.PENDING)
            .order_by("position")
            .values_list("pk", "position")
            if position % parts == part
        ]
        for item_id in pending:
            _process_item(batch, item_id, options)
        return _finish(batch)


def _process_item(batch: ProposalBatch, item_id: int, options: Options) -> None:
    with transaction.atomic():
        item = (
            # Lock the item row only: the joined household and batch rows are shared by
            # every part, and locking them would make the other parts skip their items.
            ProposalBatchItem.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=item_id, outcome=BatchOutcome.PENDING)
            .select_related("household")
            .order_by()
            .first()
        )
        if item is None:  # done by another delivery of the same task
            return
        _propose_for(batch, item, options)
        item.save(update_fields=["outcome", "detail", "proposal", "trade_count", "trade_value"])
        ProposalBatch.objects.filter(pk=batch.pk).update(
            done=F("done") + 1, updated_at=timezone.now()
        )


class _NoTrades(Exception):
    """Raised inside the proposal's savepoint to drop a draft that has nothing to do."""

    def __init__(self, notes: list[dict | str]):  # structured, or str from old proposals
        self.notes = notes


def _propose_for(batch: ProposalBatch, item: ProposalBatchItem, options: Options) -> None:
    household: Household = item.household
    open_id = (
        Proposal.objects.filter(household=household, state__in=OPEN_STATES)
        .values_list("pk", flat=True)
        .first()
    )
    if open_id is not None:
        item.outcome = BatchOutcome.SKIPPED
        item.detail = f"Proposal #{open_id} is already open for this household."
        return
    try:
        with transaction.atomic():
            proposal = workflow.create_proposal(
                firm=batch.firm, household=household, options=options, author=batch.requested_by
            )
            sides = list(proposal.trades.values_list("side", flat=True))
            if not sides:
                raise _NoTrades(proposal.notes)
    except _NoTrades as empty:
        item.outcome = BatchOutcome.NO_TRADES
        sentences = " ".join(text_of(n) for n in empty.notes)
        item.detail = _clip(sentences or "The engine found nothing to trade.")
        return
    except (workflow.ProposalError, ProposalInputError, ValidationError, PermissionDenied) as exc:
        item.outcome = BatchOutcome.FAILED
        item.detail = _clip(_message(exc))
        return
    item.outcome = BatchOutcome.PROPOSED
    item.proposal = proposal
    item.trade_count = len(sides)
    item.trade_value = proposal.trade_value
    item.detail = _summary(sides, proposal)


def _summary(sides: list[str], proposal: Proposal) -> str:
    """What an advisor scans the result list for: how many sales and buys, and the tax."""
    sells, buys = sides.count("sell"), sides.count("buy")
    parts = [f"{sells} sell{'s' * (sells != 1)}", f"{buys} buy{'s' * (buys != 1)}"]
    gains = proposal.realized_short_term + proposal.realized_long_term
    if sells:
        parts.append(f"estimated realised gain ${gains:,.2f}")
    return " · ".join(parts)


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or type(exc).__name__


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _finish(batch: ProposalBatch) -> ProposalBatch:
    with transaction.atomic():
        current = ProposalBatch.objects.select_for_update().get(pk=batch.pk)
        if current.state != BatchState.RUNNING:
            return current
        if current.items.filter(outcome=BatchOutcome.PENDING).exists():
            return current  # another delivery is still working through them
        current.state = BatchState.COMPLETE
        current.finished_at = timezone.now()
        current.save(update_fields=["state", "finished_at", "updated_at"])
        record(
            firm=current.firm_id,
            action=actions.PROPOSAL_BATCH_COMPLETED.code,
            obj=current,
            changes={"outcomes": outcome_counts(current)},
        )
        return current


def fail_batch(firm_id: int, batch_id: int, message: str) -> None:
    """Mark the batch failed (its task ran out of retries); items already done stay done."""
    with firm_scope(firm_id), transaction.atomic():
        batch = ProposalBatch.objects.select_for_update().get(pk=batch_id)
        if batch.state in (BatchState.COMPLETE, BatchState.FAILED):
            return
        batch.state = BatchState.FAILED
        batch.errors = [*batch.errors, message]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["state", "errors", "finished_at", "updated_at"])
        record(
            firm=firm_id,
            action=actions.PROPOSAL_BATCH_FAILED.code,
            obj=batch,
            changes={"error": message, "outcomes": outcome_counts(batch)},
        )
    log.error("proposal batch %s failed: %s", batch_id, message)


def outcome_counts(batch: ProposalBatch) -> dict[str, int]:
    counts = {o: 0 for o in BatchOutcome.values}
    for outcome, n in _count_rows(batch):
        counts[outcome] = n
    return counts


def _count_rows(batch: ProposalBatch):
    return batch.items.values_list("outcome").annotate(n=Count("pk")).order_by()
