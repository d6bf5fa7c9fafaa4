"""Staged position imports and the lots they replaced (firm-owned).

A position file is staged before it is applied: validated (in the request, or
by a Celery task for large files), previewed, then confirmed or cancelled by a
firm admin. The lots an applied import replaced are kept, so the last import
can be undone.
"""

from django.db import models

from advisory.money import MONEY, QUANTITY
from advisory.tenancy import FirmOwned
from portfolios.models.reference import Security


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Checking the file"
    PREVIEW = "preview", "Ready to confirm"
    REJECTED = "rejected", "Rejected (nothing written)"
    APPLYING = "applying", "Applying"
    APPLIED = "applied", "Applied"
    CANCELLED = "cancelled", "Cancelled"
    STALE = "stale", "Out of date (holdings changed since the preview)"
    RESTORED = "restored", "Undone (previous holdings restored)"
    FAILED = "failed", "Failed"


ACTIVE_IMPORT_STATES = (ImportState.QUEUED, ImportState.VALIDATING, ImportState.APPLYING)


class PositionImport(FirmOwned):
    """One uploaded position file, from upload to applied (or cancelled).

    ``stored_file`` is the upload in Django storage while the import is open;
    it is deleted once the import is applied, rejected or cancelled.
    ``holdings_digest`` is the digest of the named accounts' lots when the
    preview was made (confirming refuses if they changed since);
    ``applied_digest`` the digest right after applying (restoring refuses if
    they changed since).
    """

    state = models.CharField(max_length=12, choices=ImportState.choices)
    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=255, blank=True)
    preset = models.CharField(max_length=20)
    mapping = models.ForeignKey(
        "portfolios.ColumnMapping",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The saved column mapping (and its version) the file was read with.",
    )
    partial = models.BooleanField(default=False)
    run_async = models.BooleanField(default=False)
    rows_total = models.PositiveIntegerField(default=0, help_text="Lines in the file (estimate).")
    rows_done = models.PositiveIntegerField(default=0)
    rows_read = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="At most 1,000 errors.")
    preview = models.JSONField(default=dict, blank=True)
    account_ids = models.JSONField(default=list, blank=True, help_text="Accounts the file names.")
    holdings_digest = models.CharField(max_length=64, blank=True)
    applied_digest = models.CharField(max_length=64, blank=True)
    lots_written = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        "advisory.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["firm", "state"], name="posimport_firm_state_idx")]

    def __str__(self) -> str:
        return f"Position import #{self.pk} {self.file_name} ({self.state})"

    @property
    def progress_percent(self) -> int:
        if self.state not in ACTIVE_IMPORT_STATES:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_IMPORT_STATES

    @property
    def errors_omitted(self) -> int:
        return max(0, self.error_count - len(self.errors))


class ReplacedLot(FirmOwned):
    """A lot as it was before an applied position import replaced its account's lots."""

    position_import = models.ForeignKey(
        PositionImport, on_delete=models.CASCADE, related_name="replaced_lots"
    )
    account = models.ForeignKey("advisory.Account", on_delete=models.CASCADE, related_name="+")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(**QUANTITY)
    cost_basis = models.DecimalField(**MONEY, null=True, blank=True)
    acquired_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["firm", "position_import"], name="replacedlot_import_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.security_id} on {self.acquired_on} (replaced)"
