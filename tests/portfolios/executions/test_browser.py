"""Recording an execution in a real browser (Debian's Chromium) at 1440 px and a phone's
390 px: upload → preview → confirm, then "What was done" on the proposal page; the hand-entry
form and the fills page fit a phone without sideways scroll. Screenshots go to
artifacts/browser/executions-<width>/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import Problems, Shots, chromium, sign_in
from tests.factories import reload_proposal
from tests.portfolios.executions.helpers import DAY, csv_file, exported

pytestmark = pytest.mark.browser

A = "ALPHA-1001"
FITS = """() => {
  const vw = window.innerWidth;
  const controls = 'input:not([type=hidden]), select, textarea, button, a.btn';
  const clipped = [...document.querySelectorAll(controls)]
    .filter(e => e.getClientRects().length)
    .filter(e => {
      const r = e.getBoundingClientRect();
      return r.right > vw + 0.5 || r.left < -0.5;
    })
    .map(e => `${e.tagName} ${e.name || e.textContent.trim().slice(0, 30)}`);
  return {scroll: document.scrollingElement.scrollWidth, clipped};
}"""


def fits(page: Page, width: int) -> None:
    found = page.evaluate(FITS)
    assert found["scroll"] <= width and not found["clipped"], (page.url, found)


@pytest.mark.parametrize("width", [1440, 390])
def test_record_an_execution_in_the_browser(desk, live_server, tmp_path, width):
    p = exported(desk)
    path = tmp_path / "fills.csv"
    path.write_bytes(
        csv_file(f"{A},VOO,sell,2,512.34,{DAY},F-1,", f"{A},IWM,buy,5,250,{DAY},F-2,1251.00")
    )
    q = exported(desk)
    base = live_server.url
    problems = Problems()
    with chromium(width=width, height=900) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, f"executions-{width}")
        sign_in(page, base, desk.w.advisor)
        page.goto(f"{base}/proposals/{p.pk}/")
        page.get_by_role("link", name="Record execution").click()
        expect(page.get_by_role("heading", name="Upload the execution file")).to_be_visible()
        fits(page, width)
        shot("record")
        page.locator("input[name=file]").set_input_files(str(path))
        page.get_by_role("button", name="Preview").click()
        expect(page.get_by_role("button", name="Confirm and mark executed")).to_be_visible()
        expect(page.locator("table.execution-trades")).to_contain_text("Partial")
        fits(page, width)
        shot("preview")
        page.get_by_role("button", name="Confirm and mark executed").click()
        page.wait_for_url(f"{base}/proposals/{p.pk}/")
        expect(page.locator(".proposal-execution")).to_contain_text("What was done")
        fits(page, width)
        shot("proposal-executed")
        page.get_by_role("link", name="Fills and lots").click()
        expect(page.locator("table.execution-fill-list")).to_contain_text("gain +$224.68")
        fits(page, width)
        shot("fills")
        page.goto(f"{base}/proposals/{q.pk}/execution/manual/")
        expect(page.locator("table.execution-fills")).to_be_visible()
        fits(page, width)
        shot("manual")
    assert reload_proposal(p).state == "executed"
    assert not problems.errors and not problems.failed, (problems.errors, problems.failed)
