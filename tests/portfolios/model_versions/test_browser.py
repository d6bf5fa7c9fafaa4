"""The model pages in Chromium: edit a model with the running total kept by htmx, add a
line, save a new version, read its history; every page fits 390 px and 1440 px wide."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("document.documentElement.clientWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px window"


def test_edit_a_model_in_the_browser(world_a, classes, voo, live_server):
    iwm = factories.security("IWM", classes["us-small-cap"])
    factories.price(iwm, "250.00", factories.AS_OF)
    base, model = live_server.url, world_a.model
    problems = Problems()
    with chromium(width=1440, height=900) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "model-versions")
        sign_in(page, base, world_a.advisor)
        page.goto(f"{base}/models/{model.pk}/edit/")
        total = page.locator("#weights-total")
        expect(total).to_contain_text("Total 100%")
        # The weight changes: htmx posts the form and swaps the total, no reload.
        page.evaluate("window.__marker = 1")
        page.locator("input[name=lines-0-weight]").fill("70")
        expect(page.locator("#weights-total")).to_contain_text("Total 70%")
        expect(page.locator("#weights-total")).to_contain_text("must be 100%")
        assert page.evaluate("window.__marker") == 1
        # Add a line (a plain POST re-renders the form with one more row).
        page.get_by_role("button", name="Add a line").click()
        row = page.locator("#line-2")
        expect(row).to_be_visible()
        row.locator("select").select_option(label="US small cap")
        row.locator("input[name=lines-1-weight]").fill("30")
        row.locator("input[name=lines-1-preferred]").fill("IWM")
        expect(page.locator("#weights-total")).to_contain_text("Total 100%")
        page.locator("textarea[name=summary]").fill("Small caps to 30%")
        shot("edit-1440")
        page.get_by_role("button", name="Save and make live").click()
        page.wait_for_load_state()
        shot("saved")
        page.wait_for_url(re.compile(rf"/models/{model.pk}/$"))
        expect(page.locator(".model-history")).to_contain_text("weight 100% → 70%")
        expect(page.locator(".model-history")).to_contain_text("Small caps to 30%")
        shot("detail-1440")
        for path in ("/models/", f"/models/{model.pk}/", f"/models/{model.pk}/edit/",
                     f"/households/{world_a.household.pk}/"):  # fmt: skip
            page.goto(base + path)
            no_sideways_scroll(page)
        expect(page.locator(".model-follows")).to_contain_text("Alpha Growth Model, version 2")
        page.set_viewport_size({"width": 390, "height": 844})
        for name, path in (("list", "/models/"), ("detail", f"/models/{model.pk}/"),
                           ("edit", f"/models/{model.pk}/edit/")):  # fmt: skip
            page.goto(base + path)
            no_sideways_scroll(page)
            shot(f"{name}-390")
    assert not problems.errors, problems.errors
    assert not problems.failed, problems.failed
