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
