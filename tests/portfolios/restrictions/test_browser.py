"""In a real browser: an advisor restricts a security for a household from its page, the
proposal names the restriction, the advisor lifts it; the pages fit 1440 and 390 px.

Desk: firm A's household on an 80/20 model (10 VOO, $1,000 cash; small cap buys IWM).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


@pytest.mark.parametrize("width", [1440, 390])
def test_restrict_propose_named_and_lift(desk, live_server, width):
    base, w = live_server.url, desk.w
    problems = Problems()
    with chromium(width=width) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, f"restrictions-{width}")
        sign_in(page, base, w.advisor)
        page.goto(f"{base}/households/{w.household.pk}/")
        page.get_by_role("link", name=re.compile("Do-not-buy and do-not-sell lists")).click()
        expect(page.get_by_role("heading", name=re.compile("Restrictions · "))).to_be_visible()
        fits(page)
        shot("household-restrictions")

        page.locator("select[name=applies_to]").select_option("household")
        page.locator("input[name=symbol]").fill("iwm")
        page.locator("select[name=side]").select_option("buy")
        page.locator("input[name=reason]").fill("The clients asked not to own it")
        page.get_by_role("button", name="Add restriction").click()
        row = page.locator("table.restriction-table tbody tr", has_text="IWM").first
        expect(row).to_contain_text("in force")
        fits(page)
        shot("added")

        page.goto(f"{base}/households/{w.household.pk}/")
        propose = page.locator(".propose-rebalance")
        propose.locator("select[name=mode]").select_option("to_target")
        propose.get_by_role("button", name="Propose rebalance").click()
        page.wait_for_url(re.compile(r"/proposals/\d+/$"))
        note = page.locator(".proposal-notes li[data-rule='2']")
        expect(note).to_contain_text(
            "IWM not bought: it is on the do-not-buy list (Alpha Household: The clients asked "
            "not to own it)"
        )
        expect(note).to_contain_text("points of drift left")
        fits(page)
        shot("proposal-names-it")

        page.goto(f"{base}/restrictions/households/{w.household.pk}/")
        row = page.locator("table.restriction-table tbody tr", has_text="IWM").first
        row.locator("summary").click()
        row.locator("input[name=reason]").fill("Clients changed their mind")
        row.get_by_role("button", name="Lift IWM").click()
        expect(
            page.locator("table.restriction-table tbody tr", has_text="IWM").first
        ).to_contain_text("lifted")
        fits(page)
        shot("lifted")

        page.goto(f"{base}/restrictions/")
        fits(page)
        shot("firm-list")
    assert not problems.errors and not problems.failed, problems
