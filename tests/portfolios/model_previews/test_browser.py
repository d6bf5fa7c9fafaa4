"""A model editor in Chromium: previews the draft, sorts the households by realised gain,
opens one household's would-be trades, commits the draft and drafts the proposals; the
pages fit 390 px and 1440 px wide."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from advisory.tenancy import firm_scope
from portfolios.models import ModelPreviewHousehold, ModelVersion, ProposalBatch
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("document.documentElement.clientWidth")
    assert width <= viewport, f"{page.url} is {width} px wide in a {viewport} px window"


def money(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("—", "0").strip() or "0")


def gains_shown(page: Page) -> list[Decimal]:
    cells = page.locator("#preview-table tbody td[data-label='Realised ($)']")
    return [money(t) for t in cells.all_inner_texts()]


def test_preview_sort_open_commit_and_draft(book, live_server):
    base, model, advisor = live_server.url, book.model, book.world.advisor
    problems = Problems()
    with chromium(width=1440, height=900) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "model-preview")
        sign_in(page, base, advisor)
        page.goto(f"{base}/models/{model.pk}/")
        page.locator("select[name=mode]").select_option("to_target")
        shot("model-1440")
        page.get_by_role("button", name="Preview", exact=True).click()
        page.wait_for_url(re.compile(r"/models/previews/\d+/$"))
        expect(page.get_by_text("Households that trade", exact=True)).to_be_visible(timeout=30_000)
        shot("result-1440")
        # Sort by realised gain (htmx swaps the table; no reload). The table opens sorted by
        # it, largest first: one click turns it round, a second puts it back.
        page.evaluate("window.__marker = 1")
        sorted_header = page.locator("#preview-table th[aria-sort]")
        expect(sorted_header).to_contain_text("Realised ($) ↓")
        sorted_header.get_by_role("link").click()
        expect(sorted_header).to_contain_text("Realised ($) ↑")
        assert gains_shown(page) == sorted(gains_shown(page))
        sorted_header.get_by_role("link").click()
        expect(sorted_header).to_contain_text("Realised ($) ↓")
        gains = gains_shown(page)
        assert len(gains) >= 5 and gains == sorted(gains, reverse=True)
        assert page.evaluate("window.__marker") == 1
        shot("sorted-1440")
        # The household with the largest realised gain: its would-be trades.
        page.locator("#preview-table tbody tr").first.locator("a.row-title").click()
        page.wait_for_url(re.compile(r"/households/\d+/$"))
        expect(page.locator("#preview-trades tbody tr").first).to_be_visible()
        hid = int(page.url.rstrip("/").rsplit("/", 1)[1])
        shown_trades = page.locator("#preview-trades tbody tr").count()
        shot("household-1440")
        page.set_viewport_size({"width": 390, "height": 844})
        no_sideways_scroll(page)
        shot("household-390")
        page.go_back()
        page.wait_for_url(re.compile(r"/models/previews/\d+/"))
        no_sideways_scroll(page)
        shot("result-390")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.get_by_role("button", name=re.compile("^Commit: make version")).click()
        expect(page.get_by_text(re.compile(r"Version \d+ of .* is live\.")).first).to_be_visible()
        page.get_by_role("button", name=re.compile("Draft proposals for every household")).click()
        page.wait_for_url(re.compile(r"/proposals/batches/\d+/$"))
        expect(page.get_by_text(re.compile(r"\d+ of \d+ households"))).to_be_visible()
        shot("batch-1440")
    # The database, checked outside Playwright's event loop (Django refuses queries inside it).
    with firm_scope(book.firm):
        row = ModelPreviewHousehold.objects.get(household_id=hid)
        assert shown_trades == len(row.trades) > 0
        assert row.realized_short_term + row.realized_long_term == max(
            r.realized_short_term + r.realized_long_term
            for r in ModelPreviewHousehold.objects.filter(household__primary_advisor=advisor)
        )
        assert ModelVersion.objects.get(pk=book.draft.pk).state == "live"
        batch = ProposalBatch.objects.get()
        assert batch.total >= 3
    assert not problems.errors, problems.errors
    assert not problems.failed, problems.failed
