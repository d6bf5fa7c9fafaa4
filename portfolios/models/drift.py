"""Drift runs, their chunks, and the snapshots they write (firm-owned)."""

from django.db import models
from django.db.models import Q

from advisory.money import MONEY, PERCENT
from advisory.tenancy import FirmOwned
from portfolios.models.targets import ModelPortfolio


class DriftRunState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


ACTIVE_RUN_STATES = (DriftRunState.PENDING, DriftRunState.RUNNING)


class DriftRun(FirmOwned):
    """One drift computation for a firm and date, fanned out in chunks.

    At most one run per firm and date is active at a time (a partial unique
    constraint), so a run started twice at once does the work once.
    """

    as_of = models.DateField()
    state = models.CharField(
        max_length=10, choices=DriftRunState.choices, default=DriftRunState.PENDING
    )
    expected_chunks = models.PositiveIntegerField(default=0)
    done_chunks = models.PositiveIntegerField(default=0)
    accounts = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        "advisory.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "as_of"],
                condition=Q(state__in=["pending", "running"]),
                name="drift_run_one_active_per_day",
            ),
            models.CheckConstraint(
                condition=Q(done_chunks__lte=models.F("expected_chunks")),
                name="drift_run_done_le_expected",
            ),
        ]

    def __str__(self) -> str:
        return f"Drift {self.as_of} ({self.state}, {self.done_chunks}/{self.expected_chunks})"

    @property
    def progress_percent(self) -> int:
        if not self.expected_chunks:
            return 100 if self.state == DriftRunState.COMPLETE else 0
        return int(self.done_chunks * 100 / self.expected_chunks)


class DriftChunk(FirmOwned):
    """A slice of a run: the households with ids in [first, last]."""

    run = models.ForeignKey(DriftRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    first_household_id = models.BigIntegerField()
    last_household_id = models.BigIntegerField()
    done = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "run", "index"], name="drift_chunk_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index}"


class DriftStatus(models.TextChoices):
    IN_BAND = "in_band", "In band"
    BREACHED = "breached", "Breached"
    INCOMPLETE = "incomplete", "Incomplete"
    NO_MODEL = "no_model", "No model"


class DriftSnapshot(FirmOwned):
    """Drift of one account or one household on one date.

    Upserted under (firm, kind, as_of, subject_id): a re-run replaces the
    day's row, and earlier days stay as history.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", "Account"
        HOUSEHOLD = "household", "Household"

    # Snapshots are derived data written 100,000s at a time by the drift engine
    # alone, from rows it read in the same transaction. Their links skip the
    # database FK checks (db_constraint=False; deletes still cascade through the
    # ORM) and indexes are kept to the queries that need them (see Meta): both
    # cost time on every row a run writes (docs/benchmarks.md).
    firm = models.ForeignKey(
        "advisory.Firm",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    subject_id = models.BigIntegerField(help_text="The account id or the household id.")
    household = models.ForeignKey(
        "advisory.Household",
        on_delete=models.CASCADE,
        related_name="drift_snapshots",
        db_index=False,
        db_constraint=False,
    )
    account = models.ForeignKey(
        "advisory.Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="drift_snapshots",
        db_index=False,
        db_constraint=False,
    )
    model = models.ForeignKey(
        ModelPortfolio,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    run = models.ForeignKey(
        DriftRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="snapshots",
        db_constraint=False,
        db_index=False,
    )
    as_of = models.DateField()
    status = models.CharField(max_length=12, choices=DriftStatus.choices)
    market_value = models.DecimalField(**MONEY)
    cash_value = models.DecimalField(**MONEY)
    cash_weight = models.DecimalField(**PERCENT, null=True, blank=True)
    worst_bucket = models.CharField(max_length=120, blank=True)
    worst_abs_drift = models.DecimalField(**PERCENT, null=True, blank=True)
    worst_rel_drift = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    missing_symbols = models.JSONField(default=list, blank=True)
    buckets = models.JSONField(default=list, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["-as_of"]
        constraints = [
            # Also the index for a day's rows and for latest_as_of().
            models.UniqueConstraint(
                fields=["firm", "kind", "as_of", "subject_id"], name="drift_snapshot_unique"
            ),
            models.CheckConstraint(
                condition=(Q(kind="account", account__isnull=False))
                | Q(kind="household", account__isnull=True),
                name="drift_snapshot_kind_matches_account",
            ),
        ]
        indexes = [
            # A household's history; also serves cascades from households. (Deleting
            # an account, which is rare, finds its snapshots without an index.)
            models.Index(fields=["household", "as_of"], name="drift_snapshot_hh_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_id} {self.as_of}: {self.status}"
