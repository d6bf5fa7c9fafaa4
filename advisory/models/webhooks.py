"""Webhook endpoints and their deliveries (firm-owned).

A firm admin registers an HTTPS endpoint for some events; each event becomes one
delivery per endpoint, sent by Celery with retries. The signing secret is kept encrypted
(it must be read back to sign) and shown once.
"""

from django.conf import settings
from django.db import models

from advisory.tenancy import FirmOwned


class WebhookEndpoint(FirmOwned):
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list, help_text="Event names this endpoint receives.")
    secret_encrypted = models.TextField(help_text="The signing secret, encrypted at rest.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["url", "pk"]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(FirmOwned):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=60)
    event_id = models.UUIDField(help_text="Sent in the body: receivers drop repeats by it.")
    payload = models.JSONField()
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "endpoint", "event_id"], name="webhook_delivery_once"
            ),
        ]
        indexes = [models.Index(fields=["firm", "state"], name="webhook_delivery_state_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.state})"
