from django.conf import settings
from django.db import models

from advisory.tenancy import FirmOwned


class AuditEvent(FirmOwned):
    """One entry of a firm's append-only, hash-chained audit trail.

    Rows are written only by :func:`advisory.audit.record`. A database trigger
    refuses UPDATE and DELETE (migration 0002). ``hash`` is
    SHA-256(``prev_hash`` + canonical JSON of the row's content); ``seq`` is
    gap-free per firm, so removing or editing a row breaks the chain.
    """

    seq = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=20, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["firm", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "seq"], name="audit_firm_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["firm", "object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["firm", "created_at"], name="audit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
