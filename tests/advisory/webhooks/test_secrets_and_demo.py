"""Secrets under key rotation, the registration-time SSRF refusal, and the demo seeder."""

from __future__ import annotations

from django.test import override_settings

from advisory.mfa import crypto
from advisory.models import WebhookDelivery, WebhookEndpoint
from advisory.tenancy import firm_scope
from advisory.webhooks import endpoints, secrets
from portfolios.models import DriftRun
from tests.factories import AS_OF, firm_events

OLD = "old-webhook-key-0123456789abcdef0123456789"
NEW = "new-webhook-key-0123456789abcdef0123456789"


def test_a_generated_secret_is_32_random_bytes_urlsafe():
    one, two = secrets.generate(), secrets.generate()
    assert one != two and one.startswith("whsec_") and len(one) == len("whsec_") + 43
    assert set(one[6:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_reseal_all_moves_every_firms_secrets_to_the_newest_key(world_a, world_b):
    with override_settings(BALLAST_MFA_KEYS=[OLD]):
        a, secret_a = endpoints.register(
            firm=world_a.firm, url="http://127.0.0.1:9/a", events_wanted=["report.released"],
            description="", actor=world_a.admin.user,
        )  # fmt: skip
        b, secret_b = endpoints.register(
            firm=world_b.firm, url="http://127.0.0.1:9/b", events_wanted=["report.released"],
            description="", actor=world_b.admin.user,
        )  # fmt: skip
    with override_settings(BALLAST_MFA_KEYS=[NEW, OLD]):
        assert secrets.reseal_all() == 2
    with override_settings(BALLAST_MFA_KEYS=[NEW]):
        with firm_scope(world_a.firm):
            assert crypto.decrypt(WebhookEndpoint.objects.get(pk=a.pk).secret_encrypted) == secret_a
        with firm_scope(world_b.firm):
            assert crypto.decrypt(WebhookEndpoint.objects.get(pk=b.pk).secret_encrypted) == secret_b


@override_settings(BALLAST_WEBHOOKS_ALLOW_PRIVATE=False)
def test_with_private_addresses_off_a_loopback_endpoint_cannot_be_registered(world_a):
    try:
        endpoints.register(
            firm=world_a.firm, url="http://127.0.0.1:8000/hook", events_wanted=["report.released"],
            description="", actor=world_a.admin.user,
        )  # fmt: skip
    except endpoints.Refused as exc:
        assert "private or reserved" in str(exc)
    else:
        raise AssertionError("a loopback endpoint was registered")
    with firm_scope(world_a.firm):
        assert not WebhookEndpoint.objects.exists()
    assert firm_events(world_a.firm, "webhook_endpoint.created") == []


def test_the_demo_seeds_one_endpoint_with_sample_deliveries_once(world_a):
    from advisory.demo.webhooks import seed_webhooks

    with firm_scope(world_a.firm):
        DriftRun.objects.create(firm=world_a.firm, as_of=AS_OF, state="complete")
    assert seed_webhooks(world_a.firm) == 1
    assert seed_webhooks(world_a.firm) == 0  # idempotent
    with firm_scope(world_a.firm):
        (endpoint,) = WebhookEndpoint.objects.all()
        assert endpoint.url.endswith(".invalid/hooks/ballast") and endpoint.active
        (sample,) = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert (sample.event, sample.state) == ("drift.run_finished", "delivered")
    assert len(firm_events(world_a.firm, "webhook_endpoint.created")) == 1
