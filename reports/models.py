"""Firm-owned disclosures, versioned; a compliance officer approves a version before reports
use it. A version is never edited: editing a disclosure proposes a new one
(:mod:`reports.disclosures` is the one writer)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from advisory.tenancy import FirmOwned


class Disclosure(FirmOwned):
    """A text a report must carry, e.g. ``not-advice`` or ``methodology``; its words live in
    its versions."""

    key = models.SlugField(max_length=60)
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "key"], name="disclosure_firm_key_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class DisclosureVersion(FirmOwned):
    """One wording of a disclosure, numbered 1, 2, … Approved once, never edited."""

    disclosure = models.ForeignKey(Disclosure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["disclosure", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "disclosure", "number"], name="disclosure_version_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True, approved_at__isnull=True)
                | models.Q(approved_by__isnull=False, approved_at__isnull=False),
                name="disclosure_version_approval_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.disclosure} v{self.number}"

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


# The archive: what was sent, immutable (SEC Rule 204-2). A database trigger refuses UPDATE and
# DELETE on both tables (migration 0002); reports.archive is the one writer.
# Bump TEMPLATE_VERSION with any change to the report's templates or stylesheet that moves what
# is printed: an archived report records the version it was rendered with.
TEMPLATE_VERSION = "household-2"  # 2: sections flow on, no forced page after each


def report_upload_to(instance: ArchivedReport, filename: str) -> str:
    return f"reports/{instance.firm_id}/{filename}"


class ArchivedReport(FirmOwned):
    """One generated report PDF, its hash and everything it was rendered from. Never edited:
    a correction is a new report that names the one it supersedes."""

    household = models.ForeignKey(
        "advisory.Household", on_delete=models.PROTECT, related_name="archived_reports"
    )
    report_type = models.CharField(max_length=40)
    period_start = models.DateField()
    period_end = models.DateField()
    as_of = models.DateField()
    file = models.FileField(upload_to=report_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    disclosure_versions = models.JSONField(default=list)
    data = models.JSONField(help_text="The ReportData snapshot the PDF was rendered from.")
    template_version = models.CharField(max_length=40)
    weasyprint_version = models.CharField(max_length=40)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    generated_at = models.DateTimeField()
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )

    class Meta:
        ordering = ["-generated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "file"], name="archived_report_file_unique"),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="archived_report_period_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["firm", "household", "period_end"], name="archived_report_hh_idx")
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.period_start}–{self.period_end} (#{self.pk})"


class ReportRelease(FirmOwned):
    """The release of an archived report to its client: a row of its own, so the report row
    is never updated."""

    report = models.OneToOneField(ArchivedReport, on_delete=models.PROTECT, related_name="release")
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField()

    class Meta:
        ordering = ["-released_at"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "report"], name="report_release_unique"),
        ]

    def __str__(self) -> str:
        return f"release of report #{self.report_id}"


# Batches: "reports for my book" (an advisor) or "for the firm" (an admin) for a month, one
# item per household with a model. reports.batches does the work; reports.tasks runs it.


class ReportBatchState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


class ReportBatchScope(models.TextChoices):
    BOOK = "book", "My book"
    FIRM = "firm", "The whole firm"


class ReportBatch(FirmOwned):
    """Household reports for one period, generated in the background."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scope = models.CharField(max_length=4, choices=ReportBatchScope.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    state = models.CharField(
        max_length=10, choices=ReportBatchState.choices, default=ReportBatchState.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=ReportBatchState.values),
                name="report_batch_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(done__lte=models.F("total")), name="report_batch_done_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"Report batch #{self.pk} ({self.state}, {self.done}/{self.total})"

    @property
    def progress_percent(self) -> int:
        if not self.total:
            return 100 if self.state == ReportBatchState.COMPLETE else 0
        return int(self.done * 100 / self.total)

    @property
    def active(self) -> bool:
        return self.state in (ReportBatchState.QUEUED, ReportBatchState.RUNNING)


class ReportOutcome(models.TextChoices):
    PENDING = "pending", "Pending"
    GENERATED = "generated", "Generated"
    FAILED = "failed", "Failed"


class ReportBatchItem(FirmOwned):
    """One household of a report batch and what happened to it."""

    batch = models.ForeignKey(ReportBatch, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey("advisory.Household", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()
    outcome = models.CharField(
        max_length=10, choices=ReportOutcome.choices, default=ReportOutcome.PENDING
    )
    detail = models.CharField(max_length=300, blank=True)
    report = models.ForeignKey(
        ArchivedReport, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["batch_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "household"], name="report_batch_item_once"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=ReportOutcome.values),
                name="report_batch_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Report batch #{self.batch_id} · household #{self.household_id}: {self.outcome}"


# Examination exports: a firm's records for a period, zipped with their MANIFEST
# (reports.records), made by a Celery task and offered for download to compliance.


class RecordsExportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


def records_export_upload_to(instance: RecordsExport, filename: str) -> str:
    return f"exports/{instance.firm_id}/{filename}"


class RecordsExport(FirmOwned):
    """One examination export: the period asked for, and once made, the zip in storage."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    date_from = models.DateField()
    date_to = models.DateField()
    state = models.CharField(
        max_length=10, choices=RecordsExportState.choices, default=RecordsExportState.QUEUED
    )
    file = models.FileField(upload_to=records_export_upload_to, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")),
                name="records_export_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"records {self.date_from} to {self.date_to} (#{self.pk})"

    @property
    def active(self) -> bool:
        return self.state in (RecordsExportState.QUEUED, RecordsExportState.RUNNING)
