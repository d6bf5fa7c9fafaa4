"""The compliance workspace on a 390 px phone: no page scrolls sideways, and the tables turn
into one card per row whose cells carry their column's name.

Debian's Chromium through Playwright against pytest-django's live server.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from advisory.retention.holds import place_hold
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def trail(world_a):
    """Something in every table: a client's reads, a legal hold, a few changes."""
    from django.test import Client

    client = Client()
    factories.log_in(client, world_a.client.user)
    assert client.get("/portal/").status_code == 200
    assert client.get(f"/portal/accounts/{world_a.account.pk}/").status_code == 200
    place_hold(
        firm=world_a.firm,
        household=world_a.household,
        placed_by=world_a.compliance.user,
        reason="Customer complaint of 2026-11-02; keep everything about this household.",
    )
    return world_a


def test_the_workspace_fits_a_phone(trail, live_server):
    world, base = trail, live_server.url
    today = timezone.now().date().isoformat()
    problems = Problems()
    with chromium() as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "compliance-phone")
        try:
            sign_in(page, base, world.compliance)
            page.set_viewport_size(PHONE)
            pages = {
                "audit": "/compliance/audit/",
                "who-saw-what": (
                    f"/compliance/who-saw-what/?actor={world.client.user.email}"
                    f"&from={today}&to={today}"
                ),
                "review": "/compliance/review/",
                "holds": "/compliance/holds/",
                "records": "/compliance/records/",
            }
            for name, path in pages.items():
                page.goto(base + path)
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{name} is {width}px wide on a 390px phone"
                sideways = page.evaluate(
                    "[...document.querySelectorAll('.table-wrap, table')]"
                    ".filter(e => e.scrollWidth > e.clientWidth + 1).length"
                )
                assert not sideways, f"{name}: {sideways} table(s) scroll sideways"
                shot(name)

            # A stacked row shows its column names beside the values.
            page.goto(base + pages["who-saw-what"])
            row = page.locator("tbody tr", has_text="Alpha Household").first
            cell = row.locator('td[data-label="Object"]')
            expect(cell).to_be_visible()
            label = cell.evaluate("td => getComputedStyle(td, '::before').content")
            assert label == '"Object"', label
            expect(page.locator("table thead")).not_to_be_in_viewport()
        finally:
            page.close()
    assert not problems.failed, problems.failed
    assert not problems.errors, problems.errors
