"""Webhooks in the demo: per firm, one endpoint registered by the firm admin (audited, as on
the page) and a short history of deliveries in each state, so /firm/webhooks/ shows what a
working integration looks like.

The endpoint's address is on ``.invalid`` (RFC 2606: it never resolves), so events the demo's
visitors cause are tried and retried, never sent anywhere. Idempotent: a firm that has an
endpoint gets nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from advisory.models import (
    DeliveryState,
    Firm,
    Membership,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
)
from advisory.tenancy import firm_scope
from advisory.webhooks import endpoints, events
from portfolios.models import DriftRun, Proposal

DEMO_URL = "https://crm.{slug}.invalid/hooks/ballast"


def seed_webhooks(firm: Firm) -> int:
    """Register the demo endpoint and its sample deliveries; returns the deliveries made."""
    with firm_scope(firm):
        admin = (
            Membership.objects.filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("user__email")
            .first()
        )
        if admin is None or WebhookEndpoint.objects.exists():
            return 0
        endpoint, _secret = endpoints.register(
            firm=firm,
            url=DEMO_URL.format(slug=firm.slug),
            events_wanted=list(events.EVENTS),
            description="CRM integration (demo: this address never resolves)",
            actor=admin.user,
        )
        now = timezone.now()
        samples = []
        run = DriftRun.objects.order_by("-pk").first()
        if run is not None:
            samples.append((events.DRIFT_RUN_FINISHED, events.drift_run_summary(run), "ok"))
        proposal = Proposal.objects.order_by("-pk").first()
        if proposal is not None:
            summary = events.proposal_summary(proposal)
            samples.append((events.PROPOSAL_SUBMITTED, summary, "retrying"))
            samples.append((events.PROPOSAL_APPROVED, summary, "failed"))
        rows, whens = [], []
        for minutes, (event, data, outcome) in enumerate(samples, start=1):
            when = now - dt.timedelta(hours=len(samples) - minutes + 1)
            body = events.envelope(event=event, firm_slug=firm.slug, data=data, now=when)
            rows.append(_delivery(firm, endpoint, event, body, outcome, when))
            whens.append(when)
        WebhookDelivery.objects.bulk_create(rows)
        for row, when in zip(rows, whens, strict=True):  # created_at is auto_now_add: date
            WebhookDelivery.objects.filter(event_id=row.event_id).update(created_at=when)
    return len(rows)


def _delivery(firm, endpoint, event, body, outcome, when) -> WebhookDelivery:
    common = {"firm": firm, "endpoint": endpoint, "event": event, "event_id": body["event_id"],
              "payload": body}  # fmt: skip
    if outcome == "ok":
        return WebhookDelivery(
            **common, state=DeliveryState.DELIVERED, attempts=1, last_status=200, delivered_at=when
        )
    if outcome == "retrying":
        return WebhookDelivery(
            **common, state=DeliveryState.RETRYING, attempts=2, last_status=503,
            last_error="HTTP 503", next_attempt_at=when + dt.timedelta(days=1),
        )  # fmt: skip
    return WebhookDelivery(
        **common, state=DeliveryState.FAILED, attempts=6, last_status=None,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )  # fmt: skip
