"""One attempt at a delivery, exactly once per claim, and what its outcome does.

An attempt is claimed under the delivery's row lock (``select_for_update``) in a short
transaction: a delivered or failed delivery is left alone, and so is one whose
``next_attempt_at`` is still ahead (a retry not yet due, or an attempt in flight: the claim
moves it a lease ahead). The POST runs with no transaction open; its outcome is written in a
second short transaction. So two workers given the same delivery send it once, and a
delivery once delivered is never sent again. A worker killed mid-POST leaves the attempt
counted; the sweep sends it again once the lease has passed.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..mfa.crypto import UndecryptableSecret
from ..models import DeliveryState, WebhookDelivery
from ..tenancy import firm_scope
from . import secrets, signing, transport

DONE = (DeliveryState.DELIVERED, DeliveryState.FAILED)
USER_AGENT = "Ballast-Webhooks/1"
UNDECRYPTABLE = "The signing secret cannot be decrypted (BALLAST_MFA_KEYS): rotate it."


@dataclass(frozen=True)
class Attempt:
    url: str
    body: bytes
    headers: dict[str, str]


def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent (and signed): compact JSON, keys sorted."""
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode("utf-8")


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt (the schedule's last step repeats)."""
    schedule = settings.BALLAST_WEBHOOKS_BACKOFF_SECONDS
    return dt.timedelta(seconds=schedule[min(attempts, len(schedule)) - 1])


def lease() -> dt.timedelta:
    """How long a claimed attempt keeps others off: longer than any POST can take."""
    return dt.timedelta(seconds=2 * settings.BALLAST_WEBHOOKS_TIMEOUT_SECONDS + 30)


def claim(firm_id: int, delivery_id: int) -> Attempt | None:
    """Take the next attempt of a delivery, or None when there is nothing to send now."""
    with firm_scope(firm_id), transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state in DONE:
            return None
        now = timezone.now()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None
        if not delivery.endpoint.active:
            _finish(delivery, DeliveryState.FAILED, error="The endpoint was deactivated.")
            return None
        if delivery.attempts >= settings.BALLAST_WEBHOOKS_MAX_ATTEMPTS:
            _finish(delivery, DeliveryState.FAILED, error=delivery.last_error or "Gave up.")
            return None
        try:
            secret = secrets.unseal(delivery.endpoint.secret_encrypted)
        except UndecryptableSecret:  # a key dropped from BALLAST_MFA_KEYS too early
            _finish(delivery, DeliveryState.FAILED, error=UNDECRYPTABLE)
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + lease()
        delivery.save(update_fields=["attempts", "next_attempt_at"])
        body = body_of(delivery)
        return Attempt(
            url=delivery.endpoint.url,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                signing.EVENT_HEADER: delivery.event,
                signing.DELIVERY_HEADER: str(delivery.event_id),
                signing.SIGNATURE_HEADER: signing.signature_header(secret, body),
            },
        )


def settle(firm_id: int, delivery_id: int, outcome: transport.Outcome) -> WebhookDelivery:
    """Write an attempt's outcome: delivered, retrying at the next backoff step, or failed
    when the attempts are used up."""
    with firm_scope(firm_id), transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        if delivery.state in DONE:
            return delivery
        if outcome.ok:
            _finish(delivery, DeliveryState.DELIVERED, status=outcome.status)
        elif delivery.attempts >= settings.BALLAST_WEBHOOKS_MAX_ATTEMPTS:
            _finish(delivery, DeliveryState.FAILED, status=outcome.status, error=outcome.error)
        else:
            delivery.state = DeliveryState.RETRYING
            delivery.last_status, delivery.last_error = outcome.status, outcome.error
            delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
            delivery.save(update_fields=["state", "last_status", "last_error", "next_attempt_at"])
        return delivery


def attempt(firm_id: int, delivery_id: int) -> WebhookDelivery | None:
    """Claim, send and settle one attempt; None when there was nothing to send."""
    claimed = claim(firm_id, delivery_id)
    if claimed is None:
        return None
    outcome = transport.post(
        claimed.url,
        claimed.body,
        claimed.headers,
        timeout=settings.BALLAST_WEBHOOKS_TIMEOUT_SECONDS,
    )
    return settle(firm_id, delivery_id, outcome)


def due_ids(limit: int = 500) -> list[int]:
    """Ids of the active firm's deliveries whose next attempt is due (the sweep)."""
    return list(
        WebhookDelivery.objects.filter(
            state__in=(DeliveryState.PENDING, DeliveryState.RETRYING),
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _finish(
    delivery: WebhookDelivery, state: str, *, status: int | None = None, error: str = ""
) -> None:
    delivery.state = state
    delivery.next_attempt_at = None
    if status is not None or error:
        delivery.last_status, delivery.last_error = status, error[: transport.MAX_ERROR]
    if state == DeliveryState.DELIVERED:
        delivery.delivered_at = timezone.now()
    delivery.save(
        update_fields=["state", "next_attempt_at", "last_status", "last_error", "delivered_at"]
    )
