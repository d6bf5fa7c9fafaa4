"""Batch proposals: one advisor's "propose for every breached household in my book" (firm-owned).

The work lives in :mod:`portfolios.proposals.batches`; a Celery task runs it.
Items are written when the batch starts, so the total is known at once and a
worker that dies half-way leaves the pending items for the redelivered task.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.money import MONEY, PERCENT
from advisory.tenancy import FirmOwned
from portfolios.models.proposals import ProposalMode


class BatchState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


ACTIVE_BATCH_STATES = (BatchState.QUEUED, BatchState.RUNNING)


class ProposalBatch(FirmOwned):
    """Draft proposals for the breached households of one advisor's book, made in the background."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    mode = models.CharField(max_length=12, choices=ProposalMode.choices)
    options = models.JSONField(default=dict, blank=True, help_text="The engine options used.")
    as_of = models.DateField(help_text="The pricing date the proposals use.")
    drift_as_of = models.DateField(help_text="The drift snapshots that chose the households.")
    state = models.CharField(max_length=10, choices=BatchState.choices, default=BatchState.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        auto_now=True, help_text="Last progress; the watchdog uses it."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=BatchState.values), name="proposal_batch_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="proposal_batch_done_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"Batch #{self.pk} ({self.state}, {self.done}/{self.total})"

    @property
    def progress_percent(self) -> int:
        if not self.total:
            return 100 if self.state == BatchState.COMPLETE else 0
        return int(self.done * 100 / self.total)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_BATCH_STATES


class BatchOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    PROPOSED = "proposed", "Draft proposed"
    NO_TRADES = "no_trades", "No trades needed"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"


class ProposalBatchItem(FirmOwned):
    """One household of a batch and what happened to it."""

    batch = models.ForeignKey(ProposalBatch, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey("advisory.Household", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(help_text="Worst drift first, as the batch runs them.")
    worst_abs_drift = models.DecimalField(**PERCENT, null=True, blank=True)
    outcome = models.CharField(
        max_length=10, choices=BatchOutcome.choices, default=BatchOutcome.PENDING
    )
    detail = models.CharField(max_length=300, blank=True)
    proposal = models.ForeignKey(
        "portfolios.Proposal", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trade_count = models.PositiveIntegerField(default=0)
    trade_value = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["batch_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "household"], name="proposal_batch_item_once"),
            models.CheckConstraint(
                condition=Q(outcome__in=BatchOutcome.values), name="proposal_batch_outcome_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["batch", "outcome"], name="batch_item_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"Batch #{self.batch_id} · household #{self.household_id}: {self.outcome}"
