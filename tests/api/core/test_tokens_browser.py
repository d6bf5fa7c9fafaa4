"""In a real browser: an advisor makes an API token (the secret shown once), uses it, sees
its last use, revokes it; the page fits 1440 and 390 px."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


@pytest.mark.parametrize("width", [1440, 390])
def test_make_use_and_revoke_a_token(world_a, live_server, width):
    base = live_server.url
    factories.enrol_totp(world_a.advisor.user)
    cache.clear()  # allauth refuses a TOTP code seen before (the other width's, same window)
    problems = Problems()
    with chromium(width=width) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, f"api-tokens-{width}")
        sign_in(page, base, world_a.advisor, totp=True)
        page.goto(f"{base}/auth/api-tokens/")
        expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
        expect(page.get_by_text("No tokens yet.")).to_be_visible()
        fits(page)
        shot("empty")

        page.locator("input[name=name]").fill("CRM sync")
        page.locator("select[name=scope]").select_option("write")
        page.locator("select[name=days]").select_option("30")
        page.get_by_role("button", name="Make token").click()
        secret = page.locator("#api-token-value").inner_text().strip()
        assert re.fullmatch(r"blt_[A-Za-z0-9_-]{40}", secret)
        fits(page)
        shot("made")

        # The API, called from outside the browser's session (Playwright's request context).
        auth = {"Authorization": f"Bearer {secret}"}
        assert context.request.get(f"{base}/api/v1/households/", headers=auth).status == 200

        page.goto(f"{base}/auth/api-tokens/")
        row = page.locator("tbody tr", has_text="CRM sync")
        expect(row).to_contain_text(secret[:12])
        expect(row).not_to_contain_text("Never")  # its last use is shown
        expect(page.locator("body")).not_to_contain_text(secret)
        row.get_by_role("button", name="Revoke").click()
        expect(page.locator("tbody tr", has_text="CRM sync")).to_contain_text("Revoked")
        fits(page)
        shot("revoked")
        assert context.request.get(f"{base}/api/v1/households/", headers=auth).status == 401
    assert not problems.errors and not problems.failed, problems
