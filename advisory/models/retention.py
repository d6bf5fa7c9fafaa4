"""Retention of books and records: legal holds, and the boundary each disposal leaves.

:mod:`advisory.retention` is the one writer of both. A :class:`LegalHold` blocks disposal
(of the whole firm's records, or of one household's); an :class:`AuditDisposal` records a
disposal and the point from which the firm's audit chain is retained, which
:func:`advisory.chain.verify.verify_chain` starts from. Disposals are append-only like the
chain itself (a trigger refuses UPDATE, DELETE and TRUNCATE, migration 0009).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from advisory.tenancy import FirmOwned


class LegalHold(FirmOwned):
    """A legal hold on the firm (``household`` empty) or on one household.

    While active (not released), nothing it covers is disposed of, whatever its age. Placed
    and released with a reason; both are audit events (``legal_hold.placed/released``).
    """

    household = models.ForeignKey(
        "advisory.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legal_holds",
        help_text="Empty: the hold covers the whole firm.",
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField(default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(released_by__isnull=True, released_at__isnull=True)
                | models.Q(released_by__isnull=False, released_at__isnull=False),
                name="legal_hold_release_complete",
            ),
        ]
        indexes = [models.Index(fields=["firm", "released_at"], name="legal_hold_active_idx")]

    def __str__(self) -> str:
        what = self.household if self.household_id else "the whole firm"
        return f"Legal hold #{self.pk} on {what}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class AuditDisposal(FirmOwned):
    """One disposal of records past retention, and the audit chain's retained-from point.

    Events up to ``boundary_seq`` are gone; the chain is verified from ``boundary_seq + 1``
    whose ``prev_hash`` must be ``boundary_hash``. The boundary is confirmed by the keyed
    ``records.disposed`` event appended after the deletion (its changes carry the same seq
    and hash), so a row inserted here by hand cannot move the verification's start.
    ``boundary_seq`` 0 (with the genesis hash) means no event has been disposed of yet.
    """

    disposed_at = models.DateTimeField(default=timezone.now)
    cutoff = models.DateTimeField(help_text="Records created before this time were past retention.")
    first_seq = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The first event disposed of by this run (none: empty)."
    )
    boundary_seq = models.PositiveBigIntegerField()
    boundary_hash = models.CharField(max_length=64)
    events_disposed = models.PositiveBigIntegerField(default=0)
    reports_disposed = models.JSONField(default=list, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-boundary_seq", "-pk"]
        indexes = [models.Index(fields=["firm", "boundary_seq"], name="audit_disposal_bound_idx")]

    def __str__(self) -> str:
        return f"Disposal #{self.pk} (chain retained after seq {self.boundary_seq})"
