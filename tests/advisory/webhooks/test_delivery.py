"""Deliveries end to end against a real HTTP receiver on the loopback: the signature as
docs/webhooks.md documents it, retries on the backoff schedule, giving up, exactly once,
nothing sent for a rolled-back transaction, and the SSRF guard."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from advisory.models import WebhookDelivery
from advisory.tenancy import firm_scope
from advisory.webhooks import delivery, emit, events, signing, transport
from advisory.webhooks.tasks import deliver, send_due_webhooks

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DATA = {"proposal": {"id": 7, "state": "approved"}}


def docs_verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The verifier of docs/webhooks.md, written out again (not the module's own)."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


def state_of(d: WebhookDelivery) -> WebhookDelivery:
    with firm_scope(d.firm_id):
        return WebhookDelivery.objects.get(pk=d.pk)


def emit_committed(world, captured, event=events.PROPOSAL_APPROVED, data=DATA):
    with captured(execute=True), transaction.atomic():
        return emit(world.firm, event, data)


def test_a_delivery_is_signed_as_documented_and_carries_the_event(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    _endpoint, secret = hooked
    (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    got = receiver.requests[0]
    assert got.path == "/hooks/ballast"
    assert docs_verify(secret, got.headers["Ballast-Signature"], got.body)
    assert not docs_verify("whsec_wrong", got.headers["Ballast-Signature"], got.body)
    assert not docs_verify(secret, got.headers["Ballast-Signature"], got.body + b" ")
    body = json.loads(got.body)
    assert body == {
        "event": "proposal.approved",
        "event_id": str(d.event_id),
        "firm": "alpha",
        "occurred_at": body["occurred_at"],
        "data": DATA,
    }
    assert got.headers["Ballast-Event"] == "proposal.approved"
    assert got.headers["Ballast-Delivery"] == str(d.event_id)
    assert got.headers["Content-Type"] == "application/json"
    d = state_of(d)
    assert (d.state, d.attempts, d.last_status, d.next_attempt_at) == ("delivered", 1, 200, None)
    assert d.delivered_at is not None


def test_the_signature_refuses_an_old_timestamp_and_a_changed_body():
    body = b'{"a":1}'
    header = signing.signature_header("whsec_x", body, timestamp=1_000_000)
    assert signing.verify("whsec_x", header, body, now=1_000_000 + 299)
    assert not signing.verify("whsec_x", header, body, now=1_000_000 + 301)  # replay window
    assert not signing.verify("whsec_x", header, b'{"a":2}', now=1_000_000)
    assert not signing.verify("whsec_x", "garbage", body, now=1_000_000)


def test_a_500_then_200_is_retried_on_the_backoff_schedule_and_ends_delivered(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    receiver.answer(500)
    with time_machine.travel(T0, tick=False):
        (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
        d = state_of(d)
        assert (d.state, d.attempts, d.last_status) == ("retrying", 1, 500)
        assert d.next_attempt_at == T0 + dt.timedelta(minutes=1)  # the first backoff step
    with time_machine.travel(T0 + dt.timedelta(seconds=59), tick=False):
        assert send_due_webhooks.delay().get() == 0  # not due yet: nothing sent
        assert deliver.delay(world_a.firm.pk, d.pk).get() is None
    assert len(receiver.requests) == 1
    with time_machine.travel(T0 + dt.timedelta(seconds=61), tick=False):
        assert send_due_webhooks.delay().get() == 1
    d = state_of(d)
    assert (d.state, d.attempts, d.last_status, d.last_error) == ("delivered", 2, 200, "")
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["Ballast-Delivery"] == second.headers["Ballast-Delivery"]


@override_settings(BALLAST_WEBHOOKS_MAX_ATTEMPTS=4, BALLAST_WEBHOOKS_BACKOFF_SECONDS=[60, 300])
def test_a_receiver_failing_every_time_ends_failed_after_the_last_attempt(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    receiver.answer(500, 502, 503, 500, 500)
    waits = []
    with time_machine.travel(T0, tick=False) as clock:
        (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
        for _ in range(3):
            d = state_of(d)
            assert d.state == "retrying"
            waits.append(d.next_attempt_at - dt.datetime.now(dt.UTC))
            clock.move_to(d.next_attempt_at)
            send_due_webhooks.delay().get()
    d = state_of(d)
    assert (d.state, d.attempts, d.last_status, d.next_attempt_at) == ("failed", 4, 500, None)
    assert waits == [dt.timedelta(seconds=s) for s in (60, 300, 300)]  # the last step repeats
    assert len(receiver.requests) == 4
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert send_due_webhooks.delay().get() == 0
        assert deliver.delay(world_a.firm.pk, d.pk).get() is None
    assert len(receiver.requests) == 4


def test_a_delivered_delivery_is_never_sent_again(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
    with firm_scope(world_a.firm):  # even if someone made it due again
        WebhookDelivery.objects.filter(pk=d.pk).update(next_attempt_at=dt.datetime.now(dt.UTC))
    assert delivery.attempt(world_a.firm.pk, d.pk) is None
    assert send_due_webhooks.delay().get() == 0
    assert len(receiver.requests) == 1
    assert state_of(d).attempts == 1


def test_an_attempt_in_flight_is_not_claimed_twice(world_a, hooked, receiver):
    with transaction.atomic():
        (d,) = emit(world_a.firm, events.PROPOSAL_APPROVED, DATA)
    first = delivery.claim(world_a.firm.pk, d.pk)
    assert first is not None
    assert delivery.claim(world_a.firm.pk, d.pk) is None  # leased until the first settles
    assert state_of(d).attempts == 1


def test_an_emit_in_a_rolled_back_transaction_sends_nothing(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emit(world_a.firm, events.PROPOSAL_APPROVED, DATA)
        raise RuntimeError("the transition failed")
    assert callbacks == []
    with firm_scope(world_a.firm):
        assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_only_active_subscribed_endpoints_of_the_firm_get_a_delivery(
    world_a, world_b, receiver, django_capture_on_commit_callbacks
):
    from advisory.webhooks import endpoints

    wanted, _ = endpoints.register(
        firm=world_a.firm, url=receiver.url + "/a", events_wanted=[events.REPORT_RELEASED],
        description="", actor=world_a.admin.user,
    )  # fmt: skip
    endpoints.register(
        firm=world_a.firm, url=receiver.url + "/other", events_wanted=[events.PROPOSAL_APPROVED],
        description="", actor=world_a.admin.user,
    )  # fmt: skip
    off, _ = endpoints.register(
        firm=world_a.firm, url=receiver.url + "/off", events_wanted=[events.REPORT_RELEASED],
        description="", actor=world_a.admin.user,
    )  # fmt: skip
    endpoints.set_active(endpoint=off, active=False, actor=world_a.admin.user)
    endpoints.register(
        firm=world_b.firm, url=receiver.url + "/b", events_wanted=[events.REPORT_RELEASED],
        description="", actor=world_b.admin.user,
    )  # fmt: skip
    deliveries = emit_committed(
        world_a, django_capture_on_commit_callbacks, events.REPORT_RELEASED, {"report": {"id": 1}}
    )
    assert [d.endpoint_id for d in deliveries] == [wanted.pk]
    assert [r.path for r in receiver.requests] == ["/hooks/ballast/a"]


def test_an_unknown_event_is_refused(world_a):
    with pytest.raises(ValueError, match="Unknown webhook event"):
        emit(world_a.firm, "proposal.exploded", {})


# --- The SSRF guard ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "::1",
     "fd00::1", "::ffff:127.0.0.1", "0.0.0.0",  # noqa: S104
     "100.64.0.1", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_and_reserved_addresses_are_not_public(address):
    assert not transport.is_public(address)


def test_a_public_address_is_public():
    assert transport.is_public("93.184.216.34") and transport.is_public("2606:4700::1111")


@override_settings(BALLAST_WEBHOOKS_ALLOW_PRIVATE=False)
def test_with_private_addresses_off_a_loopback_receiver_is_refused_and_gets_nothing(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    with pytest.raises(transport.Refused, match="private or reserved"):
        transport.resolve(receiver.url)
    with pytest.raises(transport.Refused, match="private or reserved"):
        transport.resolve("http://localhost:9/")
    (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
    d = state_of(d)
    assert d.state == "retrying" and d.last_status is None
    assert "private or reserved" in d.last_error
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("url", "message"),
    [("ftp://example.com/x", "Only http"), ("file:///etc/passwd", "Only http"),
     ("https://user:pw@example.com/", "no user name"), ("https:///nohost", "no host")],
)  # fmt: skip
def test_urls_of_other_schemes_or_with_credentials_are_refused(url, message):
    with pytest.raises(transport.Refused, match=message):
        transport.check_url(url)


def test_a_redirect_is_not_followed(world_a, hooked, receiver, django_capture_on_commit_callbacks):
    receiver.answer(302)
    (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
    d = state_of(d)
    assert (d.state, d.last_status) == ("retrying", 302)
    assert "redirects are not followed" in d.last_error
    assert len(receiver.requests) == 1


def test_a_secret_no_key_opens_fails_the_delivery_without_sending(
    world_a, hooked, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = hooked
    with firm_scope(world_a.firm):
        type(endpoint).objects.filter(pk=endpoint.pk).update(secret_encrypted="not-a-token")
    (d,) = emit_committed(world_a, django_capture_on_commit_callbacks)
    d = state_of(d)
    assert (d.state, d.attempts) == ("failed", 0)
    assert "cannot be decrypted" in d.last_error
    assert receiver.requests == []
