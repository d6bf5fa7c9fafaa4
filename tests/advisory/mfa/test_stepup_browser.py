"""In Chromium: approving a proposal without a recent second factor leads to the code page
and back to the proposal, where the approval then goes through."""

from __future__ import annotations

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django_scopes import scopes_disabled
from playwright.sync_api import expect

from portfolios.proposals import workflow
from tests import factories
from tests.browser import Problems, Shots, chromium, sign_in

pytestmark = pytest.mark.browser


def test_approval_asks_for_a_fresh_code_then_goes_through(world_a, classes, live_server, settings):
    with scopes_disabled():
        desk = factories.make_desk(world_a, classes)
    proposal = factories.fake_proposal(desk)
    proposal = workflow.submit(proposal=proposal, actor=world_a.advisor.user, expected_version=1)
    approver = world_a.admin  # not the author: a second pair of eyes
    factories.enrol_totp(approver.user)
    # A recovery code for the step-up: the sign-in just used this 30-second window's TOTP code.
    recovery = RecoveryCodes.activate(approver.user).get_unused_codes()[0]
    base = live_server.url
    page_url = f"{base}/proposals/{proposal.pk}/"
    problems = Problems()
    with chromium() as context:
        page = context.new_page()
        problems.watch(page)
        shot = Shots(page, "stepup")
        sign_in(page, base, approver, totp=True)
        settings.BALLAST_STEPUP_SECONDS = 0  # the sign-in's code is now too old
        page.goto(page_url)
        page.get_by_label("I reviewed these trades").check()
        page.get_by_role("button", name="Approve").click()
        expect(page).to_have_url(
            f"{base}/auth/2fa/reauthenticate/?next=%2Fproposals%2F{proposal.pk}%2F"
        )
        shot("asked-for-a-code")
        settings.BALLAST_STEPUP_SECONDS = 300
        code = page.locator("input[name=code]")
        code.fill(recovery)
        code.press("Enter")
        expect(page).to_have_url(page_url)
        page.get_by_label("I reviewed these trades").check()
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_role("button", name="Export order file")).to_be_visible()
        shot("approved")
    assert factories.reload_proposal(proposal).state == "approved"
    assert not problems.errors and not problems.failed, problems
