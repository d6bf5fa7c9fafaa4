"""Firms and people in a real browser (Debian's Chromium): the admin invites an advisor on
the people page, the advisor opens the e-mailed link, chooses a password and is sent to set
up an authenticator; the pages fit a phone (390 px) and a laptop (1440 px). Screenshots go
to artifacts/browser/people/."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from advisory.models import Membership, Role, User
from advisory.tenancy import firm_scope
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser

SCROLL = "() => document.scrollingElement.scrollWidth"
LINK = re.compile(r"https?://[^/\s]+(/join/[a-z0-9-]+/[A-Za-z0-9_-]+/)")


def fits(page: Page, width: int, what: str) -> None:
    assert page.evaluate(SCROLL) <= width, f"{what} scrolls sideways at {width} px"


@pytest.mark.parametrize("width", [390, 1440])
def test_invite_accept_and_pages_fit(world_a, live_server, width):
    base = live_server.url
    factories.enrol_totp(world_a.admin.user)
    operator = User.objects.create_user(
        "ops@platform.example", factories.PASSWORD, full_name="Olga Ops", is_staff=True
    )
    problems = Problems()
    with chromium(width=width) as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, f"people-{width}")
        # 1. The admin signs in with a code (a step-up) and invites an advisor.
        sign_in(page, base, world_a.admin, totp=True)
        page.goto(f"{base}/firm/people/")
        expect(page.get_by_role("heading", name="People", exact=True)).to_be_visible()
        fits(page, width, "people page")
        shot("people")
        form = page.locator("form.people-invite")
        form.locator("input[name=email]").fill("nina@alpha.example")
        form.locator("select[name=role]").select_option("advisor")
        form.get_by_role("button", name="Send invitation").click()
        expect(page.locator(".alert, .messages").first).to_contain_text("Invitation sent")
        expect(page.locator("td", has_text="nina@alpha.example")).to_be_visible()
        fits(page, width, "people page with an invitation")
        shot("invited")

        # 2. The account page shows its owner; the edit form offers the household's clients.
        page.goto(f"{base}/accounts/{world_a.account.pk}/edit/")
        expect(page.get_by_label("Alpha Client")).to_be_checked()
        fits(page, width, "account edit")
        shot("account-edit")
        page.get_by_role("button", name="Sign out").click()

        # 3. The invited advisor opens the link, chooses a password, lands on MFA set-up.
        (message,) = mail.outbox
        path = LINK.search(message.body).group(1)
        page.goto(f"{base}{path}")
        expect(page.get_by_role("heading", name="Join Alpha Firm")).to_be_visible()
        fits(page, width, "join page")
        shot("join")
        page.get_by_label("Your full name").fill("Nina Novak")
        page.get_by_label("Choose a password").fill("a long enough passphrase here")
        page.get_by_label("The same password again").fill("a long enough passphrase here")
        page.get_by_role("button", name="Create my login and join").click()
        page.wait_for_url(f"{base}/")
        expect(page.locator(".user-id")).to_have_text("nina@alpha.example")
        expect(page.locator(".mfa-grace")).to_contain_text("two-factor authentication")
        fits(page, width, "new advisor's home")
        shot("joined")
        page.get_by_role("button", name="Sign out").click()

        # 4. The used link shows a clear page.
        page.goto(f"{base}{path}")
        expect(
            page.get_by_role("heading", name="This invitation link does not work")
        ).to_be_visible()
        fits(page, width, "used link")
        shot("used-link")

        # 5. The platform operator's firms page.
        sign_in(page, base, type("M", (), {"user": operator})())
        page.goto(f"{base}/operator/firms/")
        expect(page.get_by_role("cell", name="Alpha Firm")).to_be_visible()
        fits(page, width, "operator page")
        shot("operator")
    with firm_scope(world_a.firm):
        assert Membership.objects.get(user__email="nina@alpha.example").role == Role.ADVISOR
    # Expected statuses the browser logs: the used link (410) and the operator's home page
    # (403: an operator without a firm has no home; they work on /operator/firms/).
    expected = (
        f"{base}{path}: Failed to load resource: the server responded with a status of 410",
        f"{base}/: Failed to load resource: the server responded with a status of 403",
    )
    assert [e for e in problems.errors if not e.startswith(expected)] == []
    assert problems.failed == []
