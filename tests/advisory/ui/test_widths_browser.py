"""The advisor's daily pages in a real browser (Debian's Chromium) at a phone's 390 px and a
laptop's 1440 px: no sideways scroll and no clipped input on a phone, and a top bar on one
line at 1440 px for every staff role (the admin's busiest of all). Screenshots go to
artifacts/browser/daily-surfaces/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from advisory.tenancy import firm_scope
from portfolios.proposals import workflow
from portfolios.rebalance.types import Options
from tests.browser import Problems, Shots, chromium, sign_in
from tests.factories import AS_OF

pytestmark = pytest.mark.browser

FITS = """() => {
  const vw = window.innerWidth;
  const controls = 'input:not([type=hidden]), select, textarea, button';
  const clipped = [...document.querySelectorAll(controls)]
    .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
    .filter(e => {
      const r = e.getBoundingClientRect();
      return r.right > vw + 0.5 || r.left < -0.5;
    })
    .map(e => `${e.tagName} ${e.name || e.id || e.textContent.trim().slice(0, 30)}`);
  return {scroll: document.scrollingElement.scrollWidth, clipped};
}"""
ONE_LINE = """() => {
  const links = '.topbar .mainnav > .nav-link, .topbar .mainnav > details > summary';
  const bar = '.topbar .brand, .topbar .firm-name, .topbar-right > *, ' + links;
  const items = [...document.querySelectorAll(bar)].filter(e => e.getClientRects().length);
  const mids = items.map(e => {
    const r = e.getBoundingClientRect();
    return Math.round(r.top + r.height / 2);
  });
  const nav = document.querySelector('.topbar .mainnav').getBoundingClientRect();
  const link = document.querySelector(links).getBoundingClientRect();
  const tops = [...document.querySelectorAll(links)]
    .map(e => Math.round(e.getBoundingClientRect().top));
  return {count: items.length, mids: [...new Set(mids)], tops: [...new Set(tops)],
          navHeight: Math.round(nav.height), rowHeight: Math.round(link.height),
          bar: Math.round(document.querySelector('.topbar').getBoundingClientRect().height)};
}"""


@pytest.fixture
def draft(desk):
    with firm_scope(desk.firm):
        return workflow.create_proposal(
            firm=desk.firm,
            household=desk.household,
            options=Options(mode="to_target", as_of=AS_OF),
            author=desk.advisor.user,
        )


def fits(page: Page, what: str) -> None:
    result = page.evaluate(FITS)
    assert result["scroll"] <= 390, f"{what}: the page is {result['scroll']} px wide"
    assert result["clipped"] == [], f"{what}: clipped inputs {result['clipped']}"


def test_the_daily_pages_fit_a_phone(desk, draft, live_server):
    base = live_server.url
    problems = Problems()
    with chromium(width=390, height=844) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "daily-surfaces-390")
        sign_in(page, base, desk.advisor)
        for name, path in (
            ("home", "/"),
            ("draft", f"/proposals/{draft.pk}/"),
            ("household", f"/households/{desk.household.pk}/"),
            ("proposals", "/proposals/"),
            ("awaiting", "/proposals/?tab=awaiting"),
        ):
            page.goto(base + path)
            expect(page.locator("main h1")).to_be_visible()
            shot(name)
            fits(page, name)
        # The draft's editable quantities are there, and whole.
        page.goto(f"{base}/proposals/{draft.pk}/")
        qty = page.locator("input.qty-input")
        assert qty.count() >= 2
        for i in range(qty.count()):
            box = qty.nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        # The top bar collapses into one menu that opens without JavaScript.
        expect(page.locator(".topbar .mainnav")).to_be_hidden()
        page.locator(".navmenu > summary").click()
        expect(page.locator(".navmenu-panel").get_by_role("link", name="Proposals")).to_be_visible()
        shot("menu-open")
        fits(page, "menu open")
    assert problems.errors == [] and problems.failed == []


@pytest.mark.parametrize("role", ["admin", "advisor", "compliance"])
def test_the_top_bar_is_one_line_at_1440(desk, role, live_server):
    base = live_server.url
    with chromium(width=1440, height=900) as context:
        page = context.new_page()
        shot = Shots(page, f"daily-surfaces-topbar-{role}")
        sign_in(page, base, getattr(desk, role))
        page.goto(base + ("/compliance/" if role == "compliance" else "/"))
        shot("topbar")
        bar = page.evaluate(ONE_LINE)
        assert bar["count"] >= 5
        assert len(bar["tops"]) == 1, bar  # every nav link on the same row
        assert bar["navHeight"] == bar["rowHeight"], bar  # and the nav is one row high
        assert max(bar["mids"]) - min(bar["mids"]) <= 2, bar  # brand to sign-out, one line
        assert bar["bar"] <= 64, bar
        if role == "admin":
            # The firm's pages sit in the "Firm" menu, which opens without JavaScript.
            firm = page.locator('.mainnav details[data-nav-group="firm"]')
            expect(firm.get_by_role("link", name="Imports")).to_be_hidden()
            firm.locator("summary").click()
            expect(firm.get_by_role("link", name="Imports")).to_be_visible()
            expect(firm.get_by_role("link", name="Firm settings")).to_be_visible()
            shot("firm-menu")
