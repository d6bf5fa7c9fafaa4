"""The API documentation page in Chromium: Swagger UI from our own static files renders every
operation under the Content-Security-Policy (a refused script or style is a console error),
fits 390 px and 1440 px, and "Try it out" works with the browser session (CSRF header)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [390, 1440])
def test_docs_page_renders_within_the_csp(width, world_a, live_server):
    base = live_server.url
    problems = Problems()
    with chromium(width=width, height=900) as context:
        page = context.new_page()
        problems.watch(page)
        outside = []
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(("data:", base)) else None,
        )
        sign_in(page, base, world_a.advisor)
        page.goto(f"{base}/api/docs/")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("Ballast API")
        expect(page.locator(".opblock").first).to_be_visible()
        schema = json.loads(page.request.get(f"{base}/api/schema/?format=json").text())
        operations = sum(
            1 for item in schema["paths"].values() for m in item if m in ("get", "post", "put",
                                                                          "patch", "delete")
        )  # fmt: skip
        expect(page.locator(".opblock")).to_have_count(operations)
        Shots(page, f"api-docs-{width}")("operations")
        width_px = page.evaluate("document.documentElement.scrollWidth")
        assert width_px <= width, f"/api/docs/ is {width_px} px wide at {width}"

        # "Try it out" on the household list, with the session: the advisor's own book.
        op = page.locator("#operations-households-households_list")
        op.locator(".opblock-summary").click()
        op.locator(".try-out__btn").click()
        op.locator("button.execute").click()
        status = op.locator(".live-responses-table .response .response-col_status").first
        expect(status).to_have_text("200")
        expect(op.locator(".live-responses-table")).to_contain_text("Alpha Household")
    assert not problems.errors, problems.errors
    assert not problems.failed, problems.failed
    assert not outside, f"requests beyond our own origin: {outside}"
