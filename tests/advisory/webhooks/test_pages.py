"""The webhooks pages: a firm admin registers an endpoint (secret shown once, kept
encrypted), sees its deliveries and acts on them, all audited; compliance reads; advisors and
clients get 403; another firm's endpoint and delivery ids are 404."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from advisory.mfa import crypto
from advisory.models import WebhookDelivery, WebhookEndpoint
from advisory.tenancy import firm_scope
from advisory.webhooks import endpoints, events
from tests.factories import firm_events, log_in, stepped_up


def register_page(client, receiver, **extra):
    data = {"url": receiver.url, "events": ["proposal.approved", "report.released"],
            "description": "Our CRM", **extra}  # fmt: skip
    return client.post(reverse("webhook_create"), data)


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once_encrypted_at_rest(
    client, world_a, receiver
):
    stepped_up(client, world_a.admin.user)
    response = register_page(client, receiver)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'value="(whsec_[A-Za-z0-9_-]{43})"', response.content.decode()).group(1)
    with firm_scope(world_a.firm):
        endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.url, endpoint.events, endpoint.description, endpoint.active) == (
        receiver.url, ["proposal.approved", "report.released"], "Our CRM", True,
    )  # fmt: skip
    assert secret not in endpoint.secret_encrypted
    assert crypto.decrypt(endpoint.secret_encrypted) == secret
    for url in (reverse("webhooks"), reverse("webhook_detail", args=[endpoint.pk])):
        page = client.get(url)
        assert page.status_code == 200 and secret not in page.content.decode()
    (event,) = firm_events(world_a.firm, "webhook_endpoint.created")
    assert event.object_id == str(endpoint.pk) and event.actor_id == world_a.admin.user.pk
    assert secret not in str(event.changes) and endpoint.secret_encrypted not in str(event.changes)


def test_registering_needs_a_fresh_second_factor_and_writes_nothing_without(
    client, world_a, receiver
):
    stepped_up(client, world_a.admin.user, seconds_ago=3600)
    response = register_page(client, receiver)
    assert response.status_code == 302
    with firm_scope(world_a.firm):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [({"events": []}, "Choose at least one event"),
     ({"url": "ftp://example.com/x"}, "Only http:// and https://"),
     ({"url": "https://user:pw@example.com/x"}, "no user name or password"),
     ({"events": ["proposal.exploded"]}, "Select a valid choice")],
)  # fmt: skip
def test_bad_input_gets_a_field_error_and_changes_nothing(
    client, world_a, receiver, extra, message
):
    stepped_up(client, world_a.admin.user)
    response = register_page(client, receiver, **extra)
    assert response.status_code == 400
    assert message in response.content.decode()
    with firm_scope(world_a.firm):
        assert not WebhookEndpoint.objects.exists()


def test_the_admin_sees_deliveries_sends_a_test_event_and_retries_a_failed_one(
    client, world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    endpoint, _secret = hooked
    stepped_up(client, world_a.admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhook_test", args=[endpoint.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("webhook_detail", args=[endpoint.pk])
    with firm_scope(world_a.firm):
        test = WebhookDelivery.objects.get()
        assert (test.event, test.state) == (events.TEST, "delivered")
        failed = WebhookDelivery.objects.create(
            firm=world_a.firm, endpoint=endpoint, event="proposal.approved",
            event_id="11111111-1111-4111-8111-111111111111", payload={"event": "proposal.approved"},
            state="failed", attempts=6, last_status=503, last_error="HTTP 503",
        )  # fmt: skip
    page = client.get(reverse("webhooks")).content.decode()
    assert "webhook.test" in page and "Delivered" in page and "HTTP 503" in page
    assert page.count("Retry now") == 1 and "Failed (gave up)" in page
    detail = client.get(reverse("webhook_detail", args=[endpoint.pk])).content.decode()
    assert "A test event from Ballast" in detail  # the body, shown on the endpoint's page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhook_delivery_retry", args=[failed.pk]))
    assert response.status_code == 302
    with firm_scope(world_a.firm):
        failed.refresh_from_db()
    assert (failed.state, failed.attempts, failed.last_status) == ("delivered", 1, 200)
    assert len(receiver.requests) == 2
    assert [e.action for e in firm_events(world_a.firm) if e.action.startswith("webhook")] == [
        "webhook_endpoint.created", "webhook_endpoint.test_sent", "webhook_delivery.retried",
    ]  # fmt: skip


def test_retry_now_refuses_a_delivery_that_has_not_failed(client, world_a, hooked):
    endpoint, _ = hooked
    with firm_scope(world_a.firm):
        pending = WebhookDelivery.objects.create(
            firm=world_a.firm, endpoint=endpoint, event="proposal.approved",
            event_id="22222222-2222-4222-8222-222222222222", payload={}, state="retrying",
            attempts=2,
        )  # fmt: skip
    log_in(client, world_a.admin.user)
    response = client.post(reverse("webhook_delivery_retry", args=[pending.pk]), follow=True)
    assert "Only a failed delivery can be retried" in response.content.decode()
    with firm_scope(world_a.firm):
        pending.refresh_from_db()
    assert (pending.state, pending.attempts) == ("retrying", 2)


def test_deactivate_reactivate_and_rotate_the_secret(client, world_a, hooked, receiver):
    endpoint, old_secret = hooked
    stepped_up(client, world_a.admin.user)
    client.post(reverse("webhook_deactivate", args=[endpoint.pk]))
    with firm_scope(world_a.firm):
        endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoints.emit(world_a.firm, events.PROPOSAL_APPROVED, {}) == []  # inactive: none
    client.post(reverse("webhook_reactivate", args=[endpoint.pk]))
    response = client.post(reverse("webhook_rotate", args=[endpoint.pk]))
    new_secret = re.search(r'value="(whsec_[^"]+)"', response.content.decode()).group(1)
    with firm_scope(world_a.firm):
        endpoint.refresh_from_db()
    assert endpoint.active and new_secret != old_secret
    assert crypto.decrypt(endpoint.secret_encrypted) == new_secret
    assert [e.action for e in firm_events(world_a.firm) if e.action.startswith("webhook")] == [
        "webhook_endpoint.created", "webhook_endpoint.deactivated",
        "webhook_endpoint.reactivated", "webhook_endpoint.secret_rotated",
    ]  # fmt: skip


def test_compliance_reads_without_buttons_and_cannot_change(client, world_a, hooked):
    endpoint, _ = hooked
    log_in(client, world_a.compliance.user)
    page = client.get(reverse("webhooks"))
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        endpoint.url in text and "Register an endpoint" not in text and "Rotate secret" not in text
    )
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 200
    for name in ("webhook_deactivate", "webhook_rotate", "webhook_test"):
        assert client.post(reverse(name, args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhook_create"), {"url": "https://x.example/"}).status_code == 403
    with firm_scope(world_a.firm):
        endpoint.refresh_from_db()
        assert endpoint.active and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("persona", ["advisor", "client"])
def test_advisors_and_clients_get_403(client, world_a, hooked, persona):
    endpoint, _ = hooked
    log_in(client, getattr(world_a, persona).user)
    assert client.get(reverse("webhooks")).status_code == 403
    assert client.get(reverse("webhook_detail", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhook_test", args=[endpoint.pk])).status_code == 403


def test_another_firms_endpoint_and_delivery_are_404(client, world_a, world_b, receiver):
    theirs, _ = endpoints.register(
        firm=world_b.firm, url=receiver.url, events_wanted=["report.released"],
        description="ZetaSecret CRM", actor=world_b.admin.user,
    )  # fmt: skip
    with firm_scope(world_b.firm):
        delivery = WebhookDelivery.objects.create(
            firm=world_b.firm, endpoint=theirs, event="report.released",
            event_id="33333333-3333-4333-8333-333333333333", payload={}, state="failed",
        )  # fmt: skip
    stepped_up(client, world_a.admin.user)
    assert client.get(reverse("webhook_detail", args=[theirs.pk])).status_code == 404
    for name in ("webhook_deactivate", "webhook_reactivate", "webhook_rotate", "webhook_test"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    assert client.post(reverse("webhook_delivery_retry", args=[delivery.pk])).status_code == 404
    assert "ZetaSecret" not in client.get(reverse("webhooks")).content.decode()
    with firm_scope(world_b.firm):
        delivery.refresh_from_db()
        theirs.refresh_from_db()
    assert delivery.state == "failed" and theirs.active
