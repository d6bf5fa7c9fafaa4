"""End to end in a real browser: an advisor generates and releases a household report; the
client signs in, reads the overview in plain words (at desktop and phone widths), downloads
the PDF, and cannot reach another household, another client's account or any staff page;
compliance finds the generation, the release and the download in the audit trail.

Debian's Chromium through Playwright against pytest-django's live server (PostgreSQL,
WeasyPrint for the PDF, the release e-mail in Django's in-memory outbox).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in, sign_out

pytestmark = pytest.mark.browser

INTERNAL_TERMS = ("drift", "band", "breach", "proposal", "rebalance", "tax lot", "notes")


@pytest.fixture
def family(world_a, world_b):
    """Alpha Household with the report's disclosures approved and a second client, Sam, who
    signs in too and owns an IRA alone."""
    factories.approved_disclosures(
        world_a.firm, author=world_a.admin.user, approver=world_a.compliance.user
    )
    sam = factories.spouse(world_a)
    neighbour_report = factories.stored_report(world_a.other_household)
    return world_a, sam.ira, neighbour_report


REFUSED: set[str] = set()  # pages this test opens to be refused: their console 403/404 is expected


def status_of(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    if response.status >= 400:
        REFUSED.add(url)
    return response.status


def unexpected(errors: list[str]) -> list[str]:
    return [
        e for e in errors if not (e.split(": ", 1)[0] in REFUSED and "Failed to load resource" in e)
    ]


def visible_text(page: Page) -> str:
    return page.locator("main").inner_text().lower()


def test_report_released_to_the_client_portal(family, live_server, tmp_path):
    world, ira, neighbour_report = family
    base = live_server.url
    factories.enrol_totp(world.admin.user)  # saving firm settings needs a recent code
    problems = Problems()
    with chromium() as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "portal")
        try:
            # 1. The advisor generates December's report and releases it.
            sign_in(page, base, world.advisor)
            page.goto(f"{base}/households/{world.household.pk}/")
            reports = page.locator("#reports")
            expect(reports.locator("input[name=period]")).to_have_value("2025-12")
            reports.get_by_role("button", name="Generate report").click()
            expect(page.locator(".messages")).to_contain_text("generated and archived")
            reports.get_by_role("button", name="Release").click()
            expect(page.locator(".messages")).to_contain_text("released to the client")
            expect(reports).to_contain_text("released")
            shot("advisor-released")
            sign_out(page)
            told = sorted(m.to[0] for m in mail.outbox)
            assert told == ["client@alpha.example", "sam@alpha.example"]
            assert "$" not in mail.outbox[0].body

            # 2. The client signs in and lands on their overview, in plain words.
            sign_in(page, base, world.client)
            expect(page).to_have_url(f"{base}/portal/")
            main = page.locator("main")
            expect(main).to_contain_text("Alpha Household")
            expect(main).to_contain_text("Your mix and your target")
            expect(main).to_contain_text("Sam Roth IRA")  # the firm shares households
            expect(main).to_contain_text("advisor@alpha.example")
            text = visible_text(page)
            assert not [t for t in INTERNAL_TERMS if t in text], text
            shot("client-overview")
            page.set_viewport_size({"width": 390, "height": 844})
            page.reload()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the overview is {width}px wide on a 390px phone"
            shot("client-overview-390")
            page.set_viewport_size({"width": 1280, "height": 900})

            # 3. Documents: the released report, downloaded as a PDF with its disclosures.
            page.get_by_role("link", name="Documents").first.click()
            row = page.locator(".portal-row", has_text="Household report, December 2025")
            expect(row).to_have_count(1)
            shot("client-documents")
            with page.expect_download() as download:
                row.click()
            pdf = tmp_path / "report.pdf"
            Path(download.value.path()).replace(pdf)
            assert pdf.read_bytes().startswith(b"%PDF-")
            pdf_text = subprocess.run(
                ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert "Alpha Household" in pdf_text and "December 31, 2025" in pdf_text

            # 4. Nothing else: another household, another firm, any staff page.
            assert status_of(page, f"{base}/portal/accounts/{world.other_account.pk}/") == 404
            assert status_of(page, f"{base}/portal/documents/{neighbour_report.pk}/") == 404
            for staff_page in (
                f"/households/{world.household.pk}/",
                f"/households/{world.other_household.pk}/",
                f"/accounts/{world.account.pk}/",
                "/proposals/",
                "/compliance/audit/",
                "/disclosures/",
                "/reports/batches/",
            ):
                assert status_of(page, base + staff_page) == 403, staff_page
            shot("client-refused")
            sign_out(page)

            # 5. The firm stops sharing households: Sam's IRA is his alone.
            sign_in(page, base, world.admin, totp=True)
            page.goto(f"{base}/firm/settings/")
            page.get_by_label("Household members see each other's accounts").uncheck()
            page.get_by_role("button", name="Save").click()
            expect(page.locator(".messages")).to_contain_text("saved")
            sign_out(page)
            sign_in(page, base, world.client)
            expect(page.locator("main")).not_to_contain_text("Sam Roth IRA")
            assert status_of(page, f"{base}/portal/accounts/{ira.pk}/") == 404
            page.goto(f"{base}/portal/accounts/{world.account.pk}/")
            expect(page.locator("main")).to_contain_text("What you hold")
            sign_out(page)

            # 6. Compliance sees the generation, the release and the download.
            sign_in(page, base, world.compliance)
            for code, actor in (
                ("report.generated", "advisor@alpha.example"),
                ("report.released", "advisor@alpha.example"),
                ("report.downloaded", "client@alpha.example"),
                ("report.client_notified", "advisor@alpha.example"),
            ):
                page.goto(f"{base}/compliance/audit/?code={code}")
                rows = page.locator("tbody tr", has_text=code)
                expect(rows.first).to_be_visible()
                expect(rows.first).to_contain_text(actor)
            shot("compliance-trail")
        finally:
            page.close()

    assert not problems.failed, problems.failed
    assert not unexpected(problems.errors), problems.errors
