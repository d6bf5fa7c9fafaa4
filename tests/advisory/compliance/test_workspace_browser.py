"""End to end in a real browser, as a compliance officer answering an examiner: find the
approval of a proposal, open the household's timeline, run who-saw-what for a client over a
window and export it as CSV, export the records for an examination, and verify the chain.

Debian's Chromium through Playwright against pytest-django's live server (PostgreSQL; the
tasks run in-process as in the demo).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from portfolios.proposals import workflow
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def story(world_a, world_b, classes):
    """An advisor's proposal approved by the firm admin; the client read their portal."""
    desk = factories.make_desk(world_a, classes)
    proposal = factories.fake_proposal(desk)
    proposal = workflow.submit(
        proposal=proposal, actor=world_a.advisor.user, expected_version=proposal.version
    )
    proposal = workflow.approve(
        proposal=proposal, approver=world_a.admin.user, expected_version=proposal.version
    )
    client = Client()
    factories.log_in(client, world_a.client.user)
    assert client.get("/portal/").status_code == 200
    assert client.get(f"/portal/accounts/{world_a.account.pk}/").status_code == 200
    return world_a, proposal


def test_compliance_answers_an_examiner(story, live_server, tmp_path):
    world, proposal = story
    base = live_server.url
    today = timezone.now().date().isoformat()
    factories.enrol_totp(world.compliance.user)
    problems = Problems()
    with chromium(width=1440) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "compliance")
        try:
            # Exports need a recent second factor: signing in with the authenticator's code.
            sign_in(page, base, world.compliance, totp=True)

            # 1. Who approved proposal #n: the search, by object.
            page.goto(f"{base}/compliance/audit/")
            page.locator("#filter-object-type").select_option("proposal")
            page.locator("#filter-object-id").fill(str(proposal.pk))
            page.get_by_role("button", name="Filter").click()
            approved = page.locator("tbody tr", has_text="proposal.approved")
            expect(approved).to_have_count(1)
            expect(approved).to_contain_text(world.admin.user.email)
            expect(page.locator("tbody tr", has_text="proposal.submitted")).to_have_count(1)
            shot("approval-found")

            # 2. The household's timeline, oldest first, with readable changes.
            page.goto(f"{base}/compliance/timeline/household/{world.household.pk}/")
            expect(page.locator("main")).to_contain_text("Alpha Household")
            expect(page.locator("main")).to_contain_text("portal.viewed")
            shot("household-timeline")

            # 3. Who saw what: the client, today; then the CSV.
            page.goto(f"{base}/compliance/who-saw-what/")
            page.locator("#seen-actor").fill(world.client.user.email)
            page.locator("#seen-from").fill(today)
            page.locator("#seen-to").fill(today)
            page.get_by_role("button", name="Show").click()
            main = page.locator("main")
            expect(main).to_contain_text("Alpha Household")
            expect(main).to_contain_text("Alpha Brokerage")
            shot("who-saw-what")
            with page.expect_download() as download:
                page.get_by_role("button", name="Export CSV").click()
            rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
            seen = " ".join(" ".join(row) for row in rows)
            assert "Alpha Household" in seen and "Alpha Brokerage" in seen

            # 4. The records for an examination, as a zip.
            page.goto(f"{base}/compliance/records/")
            page.locator("#export-from").fill("2026-01-01")
            page.locator("#export-to").fill(today)
            page.get_by_role("button", name="Export records").click()
            link = page.get_by_role("link", name="Download zip").first
            expect(link).to_be_visible()
            with page.expect_download() as download:
                link.click()
            assert Path(download.value.path()).read_bytes()[:2] == b"PK"
            shot("records-export")

            # 5. Verify the chain: a run with progress, then the result.
            page.goto(f"{base}/compliance/audit/verify/")
            page.get_by_role("button", name="Run verification").click()
            expect(page.locator("#verify-progress")).to_contain_text("passed")
            expect(page.locator("main")).to_contain_text("Chain intact")
            shot("chain-verified")
        finally:
            page.close()

    actions = {e.action for e in factories.firm_events(world.firm)}
    assert {"audit.exported", "records.exported", "records.downloaded"} <= actions
    assert not problems.failed, problems.failed
    assert not problems.errors, problems.errors
