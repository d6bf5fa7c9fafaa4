"""End to end in a real browser: propose, edit over HTMX, submit, approve, export, audit.

Drives Debian's Chromium through Playwright against pytest-django's live server. The data
is the desk of tests/portfolios/views/conftest.py, as in test_proposals.py: 10 VOO and
$1,000 cash against a 60/40 model whose small-cap target buys IWM.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from portfolios.models import Proposal
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in, sign_out

pytestmark = pytest.mark.browser


def test_propose_edit_submit_approve_export_and_audit(desk, live_server):
    base = live_server.url
    factories.enrol_totp(desk.other_advisor.user)
    problems = Problems()
    with chromium() as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "proposals")
        try:
            # 1. The advisor signs in and opens the drifted household.
            sign_in(page, base, desk.advisor)
            shot("advisor-signed-in")
            page.goto(f"{base}/households/{desk.household.pk}/")
            propose = page.locator(".propose-rebalance")
            expect(propose).to_be_visible()
            assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
            shot("household")

            # 2. Propose a rebalance: lands on the draft with its trades.
            propose.locator("select[name=mode]").select_option("to_target")
            propose.get_by_role("button", name="Propose rebalance").click()
            page.wait_for_url(re.compile(r"/proposals/\d+/$"))
            proposal_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
            expect(page.locator("table.proposal-trades")).to_be_visible()
            buy_row = page.locator("table.proposal-trades tbody tr", has_text="IWM")
            expect(buy_row).to_have_count(1)
            shot("draft")

            # 3. Edit the IWM quantity over HTMX: the body swaps, the page does not reload.
            form = buy_row.locator("form.trade-qty-form")
            version = form.locator("input[name=version]")
            expect(version).to_have_value("1")
            qty = form.locator("input[name=quantity]")
            old_qty = Decimal(qty.input_value())
            value_cell = buy_row.locator("td.num").nth(2)
            old_value = value_cell.inner_text()
            old_total = page.locator("#proposal-trade-value").inner_text()
            page.evaluate("window.__marker = 1")
            new_qty = old_qty - 1
            qty.fill(str(new_qty))
            with page.expect_response(
                lambda r: "/trades/" in r.url and r.request.method == "POST"
            ) as edit:
                buy_row.get_by_role("button", name="Update").click()
            assert edit.value.request.headers.get("hx-request") == "true"
            expect(version).to_have_value("2")
            expect(qty).to_have_value(str(new_qty))
            expect(value_cell).not_to_have_text(old_value)
            expect(page.locator("#proposal-trade-value")).not_to_have_text(old_total)
            expect(buy_row).to_contain_text("edited")
            assert page.evaluate("window.__marker") == 1, "the edit reloaded the page"
            shot("edited")

            # 3b. Add a trade: a wrong symbol is refused next to its field, then a sale of
            # one more VOO is added; both over HTMX (a second swap of the same inputs).
            add = page.locator("#add-trade-form")
            add.get_by_label("Side").select_option("sell")
            add.get_by_label("Symbol").fill("NOPE")
            add.get_by_label("Quantity").fill("1")
            add.get_by_role("button", name="Add trade").click()
            expect(page.locator("#add-trade-form .field-error")).to_contain_text(
                "No security with the symbol NOPE."
            )
            expect(version).to_have_value("2")
            shot("add-refused")
            page.locator("#add-trade-form").get_by_label("Symbol").fill("VOO")
            page.locator("#add-trade-form").get_by_role("button", name="Add trade").click()
            expect(version).to_have_value("3")
            added = page.locator("table.proposal-trades tbody tr", has_text="Added by")
            expect(added).to_contain_text("VOO")
            assert page.evaluate("window.__marker") == 1, "adding a trade reloaded the page"
            shot("added")

            # 4. Submit for approval and sign out.
            page.get_by_role("button", name="Submit for approval").click()
            expect(page.locator("#proposal-body")).to_contain_text("Submitted")
            shot("submitted")
            sign_out(page)
            shot("signed-out")

            # 5. The team's other advisor approves and exports the generic order file.
            # Approving needs a second factor from the last few minutes: signing in with the
            # authenticator's code gives one.
            sign_in(page, base, desk.other_advisor, totp=True)
            page.goto(f"{base}/proposals/{proposal_id}/")
            page.get_by_label("I reviewed these trades").check()
            shot("review")
            page.get_by_role("button", name="Approve").click()
            expect(page.get_by_role("button", name="Export order file")).to_be_visible()
            shot("approved")
            page.locator(".proposal-actions select[name=custodian]").select_option("generic")
            with page.expect_download() as dl:
                page.get_by_role("button", name="Export order file").click()
            content = Path(dl.value.path()).read_text()
            assert desk.account.account_number in content
            assert "IWM" in content
            page.goto(f"{base}/proposals/{proposal_id}/")
            expect(page.locator("#proposal-body")).to_contain_text("Exported")
            shot("exported")
            sign_out(page)

            # 6. Compliance reads the whole story in the audit log.
            sign_in(page, base, desk.compliance)
            page.goto(f"{base}/compliance/audit/")
            for action in (
                "proposal.created",
                "proposal.trade_edited",
                "proposal.trade_added",
                "proposal.submitted",
                "proposal.approved",
                "proposal.exported",
            ):
                expect(page.get_by_text(action, exact=True).first).to_be_visible()
            shot("audit")
        finally:
            page.close()

    with scopes_disabled():
        assert Proposal.objects.get(pk=proposal_id).state == "exported"
    assert not problems.failed, problems.failed
    assert not problems.errors, problems.errors
