"""Turning an event into deliveries, in the caller's transaction.

:func:`emit` writes one :class:`~advisory.models.WebhookDelivery` per active endpoint of the
firm subscribed to the event, inside the transaction that made the event happen, and queues
the first attempt for when that transaction commits: a rolled-back transition sends nothing,
and a committed one is never lost (the sweep in :mod:`.tasks` finds a delivery whose message
the broker dropped).

The named hooks below are what the apps call, one line where the thing happens.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import DeliveryState, Firm, WebhookDelivery, WebhookEndpoint
from ..tenancy import firm_scope
from . import events
from .tasks import deliver

log = logging.getLogger(__name__)


def emit(
    firm: Firm | int,
    event: str,
    data: dict[str, Any],
    *,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """Queue ``event`` (with ``data``, the object summary) for the firm's subscribed active
    endpoints, or for ``endpoints`` when given (the test event). Returns the deliveries."""
    if event not in events.EVENTS and event != events.TEST:
        raise ValueError(f"Unknown webhook event {event!r}.")
    firm_id = firm if isinstance(firm, int) else firm.pk
    with firm_scope(firm_id):
        if endpoints is None:
            # Filtered here, not with JSON containment: SQLite (the embedded demo) has none.
            endpoints = [
                e for e in WebhookEndpoint.objects.filter(active=True) if event in e.events
            ]
        if not endpoints:
            return []
        now = timezone.now()
        slug = firm.slug if isinstance(firm, Firm) else _slug(firm_id)
        body = events.envelope(event=event, firm_slug=slug, data=data, now=now)
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                firm_id=firm_id,
                endpoint=endpoint,
                event=event,
                event_id=body["event_id"],
                payload=body,
                state=DeliveryState.PENDING,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        )
    for delivery in deliveries:
        queue(firm_id, delivery.pk)
    return deliveries


def queue(firm_id: int, delivery_id: int) -> None:
    """Send a delivery's attempt once the current transaction commits. ``robust``: the
    change that caused the event has committed; a broker that refuses the message must not
    turn it into an error (the sweep sends the delivery later)."""
    transaction.on_commit(partial(deliver.delay, firm_id, delivery_id), robust=True)


def _slug(firm_id: int) -> str:
    return Firm.objects.values_list("slug", flat=True).get(pk=firm_id)


# --- The hooks the apps call (one line each) -------------------------------------------------


def drift_run_finished(run: Any) -> list[WebhookDelivery]:
    """A drift run reached ``complete`` or ``failed``."""
    return emit(run.firm_id, events.DRIFT_RUN_FINISHED, events.drift_run_summary(run))


def proposal_moved(proposal: Any) -> list[WebhookDelivery]:
    """A proposal changed state; submitted, approved and executed fire an event."""
    event = events.PROPOSAL_STATE_EVENTS.get(str(proposal.state))
    if event is None:
        return []
    return emit(proposal.firm_id, event, events.proposal_summary(proposal))


def report_released(report: Any, released_at: dt.datetime | None = None) -> list[WebhookDelivery]:
    """An archived report was released to its client."""
    data = events.report_summary(report, released_at or timezone.now())
    return emit(report.firm_id, events.REPORT_RELEASED, data)
