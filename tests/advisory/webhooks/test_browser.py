"""The webhooks page in a real browser at 1440 and 390 px: the admin registers the loopback
receiver, copies the secret shown once, sends a test event that the receiver verifies with
that secret; the pages never scroll sideways on a phone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from advisory.models import WebhookDelivery, WebhookEndpoint
from advisory.webhooks import signing
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


def no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def outside_the_event_loop(fn, *args):
    """Run ORM code from inside Playwright's sync API (which runs an event loop here)."""

    def run():
        try:
            return fn(*args)
        finally:
            connection.close()  # this thread's own connection

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def failed_delivery(firm) -> WebhookEndpoint:
    """A delivery that gave up, on the firm's one endpoint (committed: a live server)."""
    with scopes_disabled():
        endpoint = WebhookEndpoint.objects.get(firm=firm)
        WebhookDelivery.objects.create(
            firm=firm, endpoint=endpoint, event="proposal.approved",
            event_id="44444444-4444-4444-8444-444444444444",
            payload={"event": "proposal.approved", "data": {"proposal": {"id": 1}}},
            state="failed", attempts=6,
            last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        )  # fmt: skip
    return endpoint


def test_register_copy_the_secret_and_receive_a_signed_test_event(world_a, receiver, live_server):
    factories.enrol_totp(world_a.admin.user)
    base = live_server.url
    problems = Problems()
    with chromium(width=1440) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "webhooks-1440")
        sign_in(page, base, world_a.admin, totp=True)
        page.goto(f"{base}/firm/webhooks/")
        expect(page.get_by_role("heading", name="No endpoints yet")).to_be_visible()
        form = page.locator("form.webhook-form")
        form.get_by_label("Endpoint URL").fill(receiver.url)
        form.get_by_label("Proposal approved").check()
        form.get_by_label("Report released to the client").check()
        form.get_by_label("Description").fill("Our CRM")
        shot("form")
        form.get_by_role("button", name="Register endpoint").click()
        secret = page.locator("#webhook-secret").input_value()
        assert secret.startswith("whsec_")
        shot("secret-once")
        page.get_by_role("link", name="Done").click()
        page.get_by_role("button", name="Send test event").click()
        expect(page.locator(".webhook-deliveries td", has_text="webhook.test")).to_be_visible()
        expect(page.locator(".webhook-deliveries .badge", has_text="Delivered")).to_be_visible()
        shot("test-delivered")
        (got,) = receiver.requests
        assert signing.verify(secret, got.headers["Ballast-Signature"], got.body)
        assert secret not in page.content()
        endpoint = outside_the_event_loop(failed_delivery, world_a.firm)
        page.goto(f"{base}/firm/webhooks/")
        expect(page.get_by_role("button", name="Retry now")).to_be_visible()
        shot("list")
        for width, name in ((390, "webhooks-390"),):
            page.set_viewport_size({"width": width, "height": 844})
            phone = Shots(page, name)
            for url, step in ((f"{base}/firm/webhooks/", "list"),
                              (f"{base}/firm/webhooks/{endpoint.pk}/", "endpoint")):  # fmt: skip
                page.goto(url)
                no_sideways_scroll(page)
                phone(step)
    assert problems.errors == [] and problems.failed == []
