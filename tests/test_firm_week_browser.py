"""A firm's week in a real browser (Debian's Chromium), issue 12's acceptance walk.

The admin invites an advisor, who joins through the e-mailed link, sets up an authenticator
and signs in with it; the admin hands them a household. The advisor edits the household's
model (the open proposal built on the old version goes stale), adds a do-not-sell
restriction, proposes (the proposal names the restriction), gets a colleague's approval,
exports the order file and records the custodian's execution file. The next drift run sees
the new holdings, and compliance finds every step in the audit trail.

The book is tests/factories.two_class_desk's: 10 VOO and $1,000 cash in one taxable account
against a 60/40 large/small-cap model whose small-cap target buys IWM.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail
from django_scopes import scopes_disabled
from playwright.sync_api import Browser, Page, expect

from advisory.models import AuditEvent, User
from portfolios.models import Proposal, TaxLot
from portfolios.proposals import workflow
from portfolios.rebalance.types import Options
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser

NEW_EMAIL = "nina@alpha.example"
NEW_PASSWORD = "a long enough passphrase here"
LINK = re.compile(r"https?://[^/\s]+(/join/[a-z0-9-]+/[A-Za-z0-9_-]+/)")
TRADE_DAY = factories.AS_OF + dt.timedelta(days=2)


def fresh_code(secret: str, used: set[str]) -> str:
    """A code from the app that has not been used yet: allauth refuses a code twice, so wait
    for the next 30-second window when this one's code was spent (at most 30 s)."""
    while True:
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        if code not in used:
            used.add(code)
            return code
        time.sleep(1)


def open_proposal_from(desk) -> Proposal:
    """The draft another advisor left on the household, built on the model's version 1."""
    with scopes_disabled():
        return workflow.create_proposal(
            firm=desk.firm,
            household=desk.household,
            options=Options(mode="to_target", as_of=factories.AS_OF),
            author=desk.advisor.user,
        )


def person(browser: Browser, problems: Problems, name: str) -> tuple[Page, Shots]:
    """A browser of one's own (separate cookies): the people of the walk work side by side."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems.watch(page)
    return page, Shots(page, f"firm-week-{name}")


def test_a_firms_week(world_a, classes, live_server, tmp_path):
    with scopes_disabled():
        desk = factories.two_class_desk(world_a, classes, factories.AS_OF)
        old = open_proposal_from(desk)
        assert old.model_version == 1
    for member in (desk.admin, desk.other_advisor):
        factories.enrol_totp(member.user)
    base = live_server.url
    problems = Problems()
    with chromium(width=1440) as first:
        browser = first.browser
        admin, admin_shot = person(browser, problems, "admin")
        nina, shot = person(browser, problems, "advisor")
        colleague, _ = person(browser, problems, "colleague")
        compliance, audit_shot = person(browser, problems, "compliance")

        # 1. The admin invites an advisor from the people page.
        sign_in(admin, base, desk.admin, totp=True)
        admin.goto(f"{base}/firm/people/")
        form = admin.locator("form.people-invite")
        form.locator("input[name=email]").fill(NEW_EMAIL)
        form.locator("select[name=role]").select_option("advisor")
        form.get_by_role("button", name="Send invitation").click()
        expect(admin.locator("td", has_text=NEW_EMAIL)).to_be_visible()
        admin_shot("invited")

        # 2. The advisor joins through the e-mailed link and sets up an authenticator
        # (which asks for the password again), then signs in with a code from the app.
        (message,) = mail.outbox
        nina.goto(base + LINK.search(message.body).group(1))
        nina.get_by_label("Your full name").fill("Nina Novak")
        nina.get_by_label("Choose a password").fill(NEW_PASSWORD)
        nina.get_by_label("The same password again").fill(NEW_PASSWORD)
        nina.get_by_role("button", name="Create my login and join").click()
        expect(nina.locator(".user-id")).to_have_text(NEW_EMAIL)
        nina.goto(f"{base}/auth/2fa/totp/activate/")
        nina.locator("input[name=password]").fill(NEW_PASSWORD)
        nina.locator("input[name=password]").press("Enter")
        secret = nina.locator("#authenticator_secret").input_value()
        used: set[str] = set()
        nina.locator("input[name=code]").fill(fresh_code(secret, used))
        nina.locator("input[name=code]").press("Enter")
        nina.wait_for_load_state()
        shot("enrolled")
        nina.get_by_role("button", name="Sign out").click()
        expect(nina.locator(".user-id")).to_have_count(0)
        nina.goto(f"{base}/auth/login/")
        nina.locator("input[name=login]").fill(NEW_EMAIL)
        nina.locator("input[name=password]").fill(NEW_PASSWORD)
        nina.get_by_role("button", name="Sign in", exact=True).click()
        nina.locator("input[name=code]").fill(fresh_code(secret, used))
        nina.locator("input[name=code]").press("Enter")
        expect(nina.locator(".user-id")).to_have_text(NEW_EMAIL)
        shot("signed-in-with-code")

        # 3. The admin makes the new advisor the household's primary advisor.
        admin.goto(f"{base}/households/{desk.household.pk}/edit/")
        advisor_select = admin.locator("select[name=primary_advisor]")
        nina_option = advisor_select.locator("option", has_text="Nina").get_attribute("value")
        advisor_select.select_option(value=nina_option)
        admin.get_by_role("button", name=re.compile("Save")).click()
        admin.wait_for_url(f"{base}/households/{desk.household.pk}/")

        # 4. The advisor edits the model: the open proposal on version 1 goes stale.
        nina.goto(f"{base}/households/{desk.household.pk}/")
        expect(nina.locator(".model-follows")).to_contain_text("version 1")
        nina.goto(f"{base}/models/{desk.model.pk}/edit/")
        nina.locator("input[name=lines-0-weight]").fill("55")
        nina.locator("input[name=lines-1-weight]").fill("45")
        expect(nina.locator("#weights-total")).to_contain_text("Total 100%")
        nina.locator("textarea[name=summary]").fill("Small caps up to 45% after the run")
        nina.get_by_role("button", name="Save and make live").click()
        nina.wait_for_url(re.compile(rf"/models/{desk.model.pk}/$"))
        expect(nina.locator(".model-history")).to_contain_text("Small caps up to 45%")
        nina.goto(f"{base}/proposals/{old.pk}/")
        expect(nina.locator("main")).to_contain_text("the model is now at version 2")
        shot("old-proposal-stale")
        nina.get_by_role("button", name="Cancel proposal").click()
        expect(nina.locator("#proposal-body")).to_contain_text("Cancelled")

        # 5. A do-not-sell restriction on VOO for this household.
        nina.goto(f"{base}/households/{desk.household.pk}/")
        nina.get_by_role("link", name=re.compile("Do-not-buy and do-not-sell lists")).click()
        nina.locator("select[name=applies_to]").select_option("household")
        nina.locator("input[name=symbol]").fill("VOO")
        nina.locator("select[name=side]").select_option("sell")
        nina.locator("input[name=reason]").fill("Client gifting the shares in January")
        nina.get_by_role("button", name="Add restriction").click()
        expect(nina.locator("tr", has_text="VOO").first).to_contain_text("in force")
        shot("restricted")

        # 6. Propose: the restriction is named in the notes; only IWM is bought.
        nina.goto(f"{base}/households/{desk.household.pk}/")
        propose = nina.locator(".propose-rebalance")
        propose.locator("select[name=mode]").select_option("to_target")
        propose.get_by_role("button", name="Propose rebalance").click()
        nina.wait_for_url(re.compile(r"/proposals/\d+/$"))
        proposal_id = int(nina.url.rstrip("/").rsplit("/", 1)[1])
        notes = nina.locator(".proposal-notes")
        expect(notes).to_contain_text("VOO is on the do-not-sell list")
        expect(notes).to_contain_text("Client gifting the shares in January")
        trades = nina.locator("table.proposal-trades tbody tr")
        expect(trades).to_have_count(1)
        expect(trades.first).to_contain_text("IWM")
        shot("proposed")
        nina.get_by_role("button", name="Submit for approval").click()
        expect(nina.locator("#proposal-body")).to_contain_text("Submitted")

        # 7. A colleague approves, with a second factor at sign-in.
        sign_in(colleague, base, desk.other_advisor, totp=True)
        colleague.goto(f"{base}/proposals/{proposal_id}/")
        colleague.get_by_label("I reviewed these trades").check()
        colleague.get_by_role("button", name="Approve").click()
        expect(colleague.get_by_role("button", name="Export order file")).to_be_visible()

        # 8. The advisor exports the order file and records the custodian's execution file.
        nina.goto(f"{base}/proposals/{proposal_id}/")
        nina.locator(".proposal-actions select[name=custodian]").select_option("generic")
        with nina.expect_download() as dl:
            nina.get_by_role("button", name="Export order file").click()
        # The custodian fills the order file's one line (IWM bought, VOO never sold).
        (line,) = csv.DictReader(io.StringIO(Path(dl.value.path()).read_text()))
        assert (line["symbol"], line["side"]) == ("IWM", "buy")
        bought = Decimal(line["quantity"])
        fills = tmp_path / "executions.csv"
        fills.write_text(
            "account_number,symbol,side,quantity,price,trade_date,fill_id\n"
            f"{line['account_number']},IWM,buy,{line['quantity']},249.50,{TRADE_DAY},F-1001\n"
        )
        nina.goto(f"{base}/proposals/{proposal_id}/")
        nina.get_by_role("link", name="Record execution").click()
        nina.locator("input[name=file]").set_input_files(str(fills))
        nina.get_by_role("button", name="Preview").click()
        nina.get_by_role("button", name="Confirm and mark executed").click()
        expect(nina.locator(".proposal-execution")).to_contain_text("What was done")
        expect(nina.locator("#proposal-body")).to_contain_text("Executed")
        shot("executed")

        # 9. The next drift run sees the new holdings.
        admin.goto(f"{base}/drift/runs/")
        admin.get_by_role("button", name="Compute drift").click()
        admin.wait_for_load_state()
        admin_shot("drift-run")
        nina.goto(f"{base}/households/{desk.household.pk}/")
        # The drift table (the first of the page) now counts the IWM bought: $1,000 of small cap.
        small_cap = nina.locator("tr", has_text="US small cap").first
        expect(small_cap).to_contain_text(f"{bought * Decimal('250.00'):,.2f}")
        shot("drift-after")

        # 10. Compliance finds every step in the audit trail.
        sign_in(compliance, base, desk.compliance)
        for action in (
            "invitation.created",
            "invitation.accepted",
            "model_version.published",
            "proposal.cancelled",
            "restriction.added",
            "proposal.created",
            "proposal.submitted",
            "proposal.approved",
            "proposal.exported",
            "execution.recorded",
        ):
            compliance.goto(f"{base}/compliance/audit/?code={action}")
            expect(compliance.get_by_text(action, exact=True).first).to_be_visible()
        audit_shot("audit")

    with scopes_disabled():
        nina_user = User.objects.get(email=NEW_EMAIL)
        executed = Proposal.objects.get(pk=proposal_id)
        assert executed.state == "executed" and executed.model_version == 2
        iwm_lot = TaxLot.objects.get(account=desk.account, security__symbol="IWM")
        assert iwm_lot.quantity == bought > 0
        assert iwm_lot.cost_basis == (bought * Decimal("249.50")).quantize(Decimal("0.01"))
        assert TaxLot.objects.get(pk=desk.lot.pk).quantity == Decimal("10")  # VOO untouched
        exporters = set(
            AuditEvent.objects.filter(firm=desk.firm, action="proposal.exported").values_list(
                "actor_id", flat=True
            )
        )
        assert exporters == {nina_user.pk}
    assert not problems.failed, problems.failed
    assert not problems.errors, problems.errors
