"""Runs of audit chain verification: who started one, how far it got, what it found."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from advisory.tenancy import FirmOwned


class VerificationState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


ACTIVE_VERIFICATION_STATES = (VerificationState.QUEUED, VerificationState.RUNNING)


class AuditVerification(FirmOwned):
    """One walk of a firm's audit chain (and its anchors), run as a Celery task.

    ``started_by`` is empty for the nightly run. ``checked`` grows as the task walks the
    chain in batches, so the page can show progress against ``total``.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=VerificationState.choices, default=VerificationState.QUEUED
    )
    checked = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    ok = models.BooleanField(null=True, blank=True)
    failed_seq = models.PositiveBigIntegerField(null=True, blank=True)
    failure = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["firm", "-started_at"], name="audit_verif_recent_idx")]

    def __str__(self) -> str:
        return f"Audit verification {self.pk} ({self.state})"

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_VERIFICATION_STATES

    @property
    def progress_percent(self) -> int:
        if not self.total:
            return 0 if self.active else 100
        return min(100, int(self.checked * 100 / self.total))
