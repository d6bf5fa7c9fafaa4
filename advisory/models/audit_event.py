from django.conf import settings
from django.db import models

from advisory.tenancy import FirmOwned


class AuditEvent(FirmOwned):
    """One entry of a firm's append-only, hash-chained audit trail.

    Rows are written only by :func:`advisory.audit.record`. A database trigger
    refuses UPDATE, DELETE and TRUNCATE (migrations 0003, 0007). ``hash`` is
    HMAC-SHA256 under the key named by ``key_id`` (configured outside the database) of
    ``prev_hash`` + canonical JSON of the row's content, key id included; events written
    before keys existed (``key_id`` empty) used plain SHA-256. ``seq`` is gap-free per
    firm, so removing or editing a row breaks the chain.
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
    key_id = models.CharField(max_length=32, blank=True, default="")
    # The API token a request was made with (issue 13): who-saw-what answers by token. In the
    # hashed content only when set, so events without one hash as they always did.
    api_token_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["firm", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "seq"], name="audit_firm_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["firm", "object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["firm", "created_at"], name="audit_time_idx"),
            # The compliance workspace's searches: an action (or category) in a window, a
            # person's or an address's events in a window (who saw what, new-IP sign-ins).
            models.Index(fields=["firm", "action", "created_at"], name="audit_action_time_idx"),
            models.Index(fields=["firm", "actor", "created_at"], name="audit_actor_time_idx"),
            models.Index(fields=["firm", "ip", "created_at"], name="audit_ip_time_idx"),
            models.Index(
                fields=["firm", "api_token_id", "created_at"], name="audit_token_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
