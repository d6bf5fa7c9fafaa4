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
TEMPLATE_VERSION = "household-1"


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
