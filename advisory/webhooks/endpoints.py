"""The firm admin's changes to webhook endpoints and deliveries, each audited in its
transaction: register (a new secret, returned once), deactivate, reactivate, rotate the
secret (returned once), send a test event, retry a failed delivery now.

The secret is returned to the caller and never stored in the clear nor written to the audit
trail (the event names the endpoint and its events only).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import audit_actions as actions
from ..audit import record
from ..models import DeliveryState, Firm, User, WebhookDelivery, WebhookEndpoint
from ..tenancy import firm_scope
from . import events, secrets, transport
from .emit import emit, queue


class Refused(ValueError):
    """A change the page cannot make; the message says why."""


def register(
    *, firm: Firm, url: str, events_wanted: list[str], description: str, actor: User
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (the only time it is returned)."""
    url = url.strip()
    try:
        transport.check_url(url)
        if not settings.BALLAST_WEBHOOKS_ALLOW_PRIVATE:
            transport.resolve(url)  # refuse a private address now, not at the first event
    except transport.Refused as exc:
        raise Refused(str(exc)) from None
    unknown = [e for e in events_wanted if e not in events.EVENTS]
    if unknown or not events_wanted:
        raise Refused("Choose at least one event from the list.")
    secret = secrets.generate()
    with firm_scope(firm), transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            firm=firm,
            url=url,
            description=description.strip(),
            events=[e for e in events.EVENTS if e in events_wanted],  # registry order
            secret_encrypted=secrets.seal(secret),
            created_by=actor,
        )
        _audit(endpoint, actions.WEBHOOK_ENDPOINT_CREATED, actor, {
            "url": endpoint.url, "events": endpoint.events, "description": endpoint.description,
        })  # fmt: skip
    return endpoint, secret


def set_active(*, endpoint: WebhookEndpoint, active: bool, actor: User) -> WebhookEndpoint:
    with firm_scope(endpoint.firm_id), transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if current.active == active:
            raise Refused(f"This endpoint is already {'active' if active else 'inactive'}.")
        current.active = active
        current.save(update_fields=["active"])
        action = (
            actions.WEBHOOK_ENDPOINT_REACTIVATED if active else actions.WEBHOOK_ENDPOINT_DEACTIVATED
        )
        _audit(current, action, actor, {"active": {"before": not active, "after": active}})
    return current


def rotate_secret(*, endpoint: WebhookEndpoint, actor: User) -> tuple[WebhookEndpoint, str]:
    """A new secret replaces the old at once (retries of earlier events are signed with it)."""
    secret = secrets.generate()
    with firm_scope(endpoint.firm_id), transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        current.secret_encrypted = secrets.seal(secret)
        current.save(update_fields=["secret_encrypted"])
        _audit(current, actions.WEBHOOK_SECRET_ROTATED, actor, {"url": current.url})
    return current, secret


def send_test(*, endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to this endpoint alone."""
    with firm_scope(endpoint.firm_id), transaction.atomic():
        current = WebhookEndpoint.objects.get(pk=endpoint.pk)
        if not current.active:
            raise Refused("Reactivate the endpoint before sending it a test event.")
        (delivery,) = emit(current.firm_id, events.TEST, events.test_summary(), endpoints=[current])
        _audit(current, actions.WEBHOOK_TEST_SENT, actor, {"event_id": str(delivery.event_id)})
    return delivery


def retry_now(*, delivery: WebhookDelivery, actor: User) -> WebhookDelivery:
    """Start a failed delivery over: its attempts from zero, the first one now."""
    with firm_scope(delivery.firm_id), transaction.atomic():
        current = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=delivery.pk)
        )
        if current.state != DeliveryState.FAILED:
            raise Refused("Only a failed delivery can be retried; the others are still trying.")
        if not current.endpoint.active:
            raise Refused("Reactivate the endpoint before retrying its deliveries.")
        before = {"state": current.state, "attempts": current.attempts}
        current.state, current.attempts = DeliveryState.PENDING, 0
        current.next_attempt_at = timezone.now()
        current.save(update_fields=["state", "attempts", "next_attempt_at"])
        record(
            firm=current.firm_id,
            action=actions.WEBHOOK_DELIVERY_RETRIED.code,
            obj=current,
            object_repr=f"{current.event} → {current.endpoint.url}",
            changes={
                "state": {"before": before["state"], "after": current.state},
                "attempts": {"before": before["attempts"], "after": 0},
                "event_id": str(current.event_id),
            },
            actor=actor,
        )
        queue(current.firm_id, current.pk)
    return current


def _audit(
    endpoint: WebhookEndpoint, action: actions.ActionType, actor: User, changes: dict
) -> None:
    record(
        firm=endpoint.firm_id,
        action=action.code,
        obj=endpoint,
        object_repr=endpoint.url,
        changes=changes,
        actor=actor,
    )
