"""In Chromium at 1440 and 390 px: map a sample file, import with it, see the feed banner."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from advisory.models import Client
from portfolios.models import TaxLot
from portfolios.pricing.feed import run_feed
from portfolios.pricing.feed_sources import DropDirectorySource
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser
DATA = Path(__file__).parent / "data"


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide at {viewport}px"


def test_map_import_and_feed_banner(world_a, bnd, live_server, tmp_path, settings):
    settings.BALLAST_PRICE_DROP_DIR = str(tmp_path)
    with scopes_disabled():
        Client.objects.filter(pk=world_a.client_person.pk).update(email="pat@alpha.example")
        TaxLot.objects.create(
            firm=world_a.firm, account=world_a.other_account, security=bnd,
            quantity=Decimal("5"), acquired_on=dt.date(2024, 1, 2),
        )  # fmt: skip
    run_feed(DropDirectorySource(tmp_path), as_of=dt.date.today())  # BND: no price at all
    factories.enrol_totp(world_a.admin.user)
    base = live_server.url
    sample = DATA / "odd_headers.csv"
    problems = Problems()
    with chromium(width=1440, height=900) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "custodian-files")
        sign_in(page, base, world_a.admin, totp=True)

        page.goto(f"{base}/imports/mappings/")
        page.locator("input[name=file]").set_input_files(str(sample))
        page.get_by_role("button", name="Read the sample").click()
        expect(page.locator("text=Header found on line 4")).to_be_visible()
        shot("sample")
        page.locator("input[name=name]").fill("Acme custody")
        page.locator("select[name=custodian]").select_option("other")
        page.locator("input[name=col_quantity]").fill("Units Held")
        page.locator("input[name=col_cost_basis]").fill("Book Value")
        page.locator("input[name=col_acquired_date]").fill("Opened On")
        page.locator("select[name=date_format]").select_option("%d.%m.%Y")
        page.locator("select[name=numbers]").select_option("formatted")
        page.get_by_role("button", name="Save mapping").click()
        page.wait_for_url(re.compile(r"/imports/mappings/\d+/$"))
        expect(page.locator("h1")).to_contain_text("Acme custody v1")
        shot("mapping-v1")

        page.goto(f"{base}/imports/")
        page.locator("input[name=file]").first.set_input_files(str(sample))
        page.locator("select[name=preset]").select_option(label="Acme custody (saved mapping, v1)")
        page.get_by_role("button", name="Upload positions").click()
        page.wait_for_url(re.compile(r"/imports/positions/\d+/$"))
        expect(page.locator(".subtitle")).to_contain_text("Acme custody v1")
        shot("preview")
        preview_url = page.url

        page.goto(f"{base}/drift/runs/")
        expect(page.locator("#price-feed-banner")).to_contain_text("No price for 1 of your")
        shot("drift-runs-banner")

        # The same session on a phone.
        page.set_viewport_size({"width": 390, "height": 844})
        shot = Shots(page, "custodian-files-390")
        for name, url in [
            ("mappings", "/imports/mappings/"),
            ("imports", "/imports/"),
            ("preview", preview_url.removeprefix(base)),
            ("drift-runs", "/drift/runs/"),
            ("home", "/"),
        ]:
            page.goto(f"{base}{url}")
            shot(name)
            no_sideways_scroll(page)
        page.goto(f"{base}/imports/mappings/")
        page.get_by_role("link", name="Acme custody").click()
        shot("mapping-detail")
        no_sideways_scroll(page)
        page.goto(f"{base}/imports/mappings/")
        page.locator("input[name=file]").set_input_files(str(sample))
        page.get_by_role("button", name="Read the sample").click()
        shot("sample")
        no_sideways_scroll(page)
    assert not problems.errors, problems.errors
