"""Four eyes by default and step-up (a second factor in the last few minutes) before
approving, exporting, changing roles or firm settings, and approving disclosures."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django_scopes import scopes_disabled

from advisory.models import AuditEvent, Firm, Membership
from advisory.tenancy import firm_scope
from portfolios.models import Proposal
from portfolios.proposals import workflow
from tests import factories
from tests.factories import enrol_totp, log_in, reload_proposal, stepped_up, totp_code

REAUTH = "/auth/2fa/reauthenticate/"
ACTIVATE = "/auth/2fa/totp/activate/"


@pytest.fixture
def desk(world_a, classes):
    with scopes_disabled():
        return factories.make_desk(world_a, classes)


@pytest.fixture
def submitted(desk):
    """A proposal by the advisor, submitted; its trade value is well above $100."""
    proposal = factories.fake_proposal(desk)
    proposal = workflow.submit(proposal=proposal, actor=desk.w.advisor.user, expected_version=1)
    assert proposal.trade_value > Decimal("100")
    return proposal


def set_threshold(firm: Firm, below: str | None) -> None:
    Firm.objects.filter(pk=firm.pk).update(
        self_approval_below=None if below is None else Decimal(below)
    )


def approve(client, proposal: Proposal, **headers):
    return client.post(
        f"/proposals/{proposal.pk}/approve/",
        {"version": str(proposal.version), "confirm": "on"},
        headers=headers,
    )


def asked_for_stepup(response, back_to: str) -> None:
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert url.path == REAUTH
    assert parse_qs(url.query)["next"] == [back_to]


# --- Four eyes: the rule in the workflow --------------------------------------------------


def test_the_author_may_not_approve_by_default(desk, submitted):
    with pytest.raises(workflow.FourEyesRequired, match="second approver"):
        workflow.approve(proposal=submitted, approver=desk.w.advisor.user, expected_version=2)
    assert reload_proposal(submitted).state == "submitted"


def test_an_editor_may_not_approve_either(desk, submitted):
    proposal = workflow.refresh(
        proposal=submitted,
        actor=desk.w.admin.user,
        expected_version=2,
        engine=factories.fake_engine,
    )
    proposal = workflow.submit(proposal=proposal, actor=desk.w.advisor.user, expected_version=3)
    with pytest.raises(workflow.FourEyesRequired):
        workflow.approve(proposal=proposal, approver=desk.w.admin.user, expected_version=4)


def test_the_author_may_approve_below_the_firms_threshold_only(desk, submitted):
    set_threshold(desk.firm, str(submitted.trade_value))  # not below: exactly at it
    with pytest.raises(workflow.FourEyesRequired, match=f"of {submitted.trade_value} or more"):
        workflow.approve(proposal=submitted, approver=desk.w.advisor.user, expected_version=2)
    set_threshold(desk.firm, str(submitted.trade_value + Decimal("0.01")))
    done = workflow.approve(proposal=submitted, approver=desk.w.advisor.user, expected_version=2)
    assert done.state == "approved" and done.approved_by_id == desk.w.advisor.user.pk


def test_a_second_approver_may_approve_at_any_value(desk, submitted):
    done = workflow.approve(proposal=submitted, approver=desk.w.admin.user, expected_version=2)
    assert done.state == "approved"


# --- Step-up on the approve page -----------------------------------------------------------


def test_approving_as_author_is_refused_by_default_even_after_stepup(desk, submitted, client):
    stepped_up(client, desk.w.advisor.user)
    response = approve(client, submitted)
    assert response.status_code == 400
    assert "second approver" in response.content.decode()
    assert reload_proposal(submitted).state == "submitted"


def test_self_approval_below_the_threshold_needs_no_stepup(desk, submitted, client):
    set_threshold(desk.firm, "1000000")
    log_in(client, desk.w.advisor.user)  # no authenticator, no second factor
    response = approve(client, submitted)
    assert response.status_code == 302
    assert reload_proposal(submitted).state == "approved"


def test_approving_above_the_threshold_without_a_recent_second_factor_asks_for_one(
    desk, submitted, client
):
    set_threshold(desk.firm, "100")
    page = f"/proposals/{submitted.pk}/"
    stepped_up(client, desk.w.admin.user, seconds_ago=6 * 60)  # too long ago
    response = approve(client, submitted, Referer=f"http://testserver{page}")
    asked_for_stepup(response, page)
    assert reload_proposal(submitted).state == "submitted"
    # htmx gets the same answer as a client-side redirect.
    htmx = approve(client, submitted, HX_Request="true", HX_Current_URL=f"http://testserver{page}")
    assert urlsplit(htmx["HX-Redirect"]).path == REAUTH
    # A fresh second factor on allauth's reauthenticate page, then the approval goes through.
    done = client.post(f"{REAUTH}?next={page}", {"code": totp_code(desk.w.admin.user)})
    assert done.status_code == 302 and done["Location"] == page
    assert approve(client, submitted).status_code == 302
    assert reload_proposal(submitted).state == "approved"


def test_a_password_reauthentication_is_not_a_second_factor(desk, submitted, client):
    enrol_totp(desk.w.admin.user)
    log_in(client, desk.w.admin.user)
    client.post("/auth/reauthenticate/", {"password": factories.PASSWORD})
    asked_for_stepup(approve(client, submitted), "/")


def test_staff_without_an_authenticator_are_sent_to_set_one_up(desk, submitted, client):
    log_in(client, desk.w.admin.user)
    response = approve(client, submitted)
    assert response.status_code == 302 and response["Location"] == ACTIVATE
    assert reload_proposal(submitted).state == "submitted"


def test_exporting_an_order_file_needs_a_stepup(desk, submitted, client):
    approved = workflow.approve(proposal=submitted, approver=desk.w.admin.user, expected_version=2)
    enrol_totp(desk.w.advisor.user)
    log_in(client, desk.w.advisor.user)
    body = {"version": str(approved.version), "custodian": "generic"}
    asked_for_stepup(client.post(f"/proposals/{approved.pk}/export/", body), "/")
    assert reload_proposal(approved).state == "approved"
    stepped_up(client, desk.w.advisor.user)
    response = client.post(f"/proposals/{approved.pk}/export/", body)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


# --- Firm settings ---------------------------------------------------------------------------


def settings_form(firm: Firm, **changes: str) -> dict[str, str]:
    data = {
        "name": firm.name,
        "client_service_phone": firm.client_service_phone,
        "self_approval_below": "",
        "require_staff_mfa": "on",
        "mfa_grace_days": "",
        "portal_shares_household": "on",
    }
    return {k: v for k, v in (data | changes).items() if v is not None}


def test_firm_settings_show_every_setting_and_save_only_after_stepup(world_a, client):
    log_in(client, world_a.admin.user)
    page = client.get("/firm/settings/")
    assert page.status_code == 200
    for name in (
        "self_approval_below",
        "require_staff_mfa",
        "mfa_grace_days",
        "portal_shares_household",
        "portal_shows_cost_basis",
        "client_service_phone",
    ):
        assert f'name="{name}"' in page.content.decode()
    enrol_totp(world_a.admin.user)
    log_in(client, world_a.admin.user)
    form = settings_form(world_a.firm, self_approval_below="25000.00")
    refused = client.post(
        "/firm/settings/", form, headers={"Referer": "http://testserver/firm/settings/"}
    )
    asked_for_stepup(refused, "/firm/settings/")
    assert Firm.objects.get(pk=world_a.firm.pk).self_approval_below is None

    stepped_up(client, world_a.admin.user)
    saved = client.post(
        "/firm/settings/",
        settings_form(world_a.firm, self_approval_below="25000.00", mfa_grace_days="3"),
    )
    assert saved.status_code == 302
    firm = Firm.objects.get(pk=world_a.firm.pk)
    assert firm.self_approval_below == Decimal("25000.00") and firm.mfa_grace_days == 3
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.filter(action="firm.updated").latest("seq")
    assert event.changes["self_approval_below"] == {"before": None, "after": "25000.00"}
    assert event.changes["mfa_grace_days"] == {"before": None, "after": 3}
    assert event.actor_id == world_a.admin.user.pk


def test_firm_settings_refuse_bad_values_and_change_nothing(world_a, client):
    stepped_up(client, world_a.admin.user)
    for bad in (
        {"self_approval_below": "-5"},
        {"self_approval_below": "lots"},
        {"mfa_grace_days": "31"},
    ):
        response = client.post("/firm/settings/", settings_form(world_a.firm, **bad))
        assert response.status_code == 400
    firm = Firm.objects.get(pk=world_a.firm.pk)
    assert firm.self_approval_below is None and firm.mfa_grace_days is None
    with firm_scope(world_a.firm):
        assert not AuditEvent.objects.filter(action="firm.updated").exists()


@pytest.mark.parametrize("role", ["advisor", "compliance", "client"])
def test_only_firm_admins_see_firm_settings(world_a, client, role):
    stepped_up(client, getattr(world_a, role).user)
    assert client.get("/firm/settings/").status_code == 403
    assert client.post("/firm/settings/", settings_form(world_a.firm)).status_code == 403


# --- Roles, records, disclosures -------------------------------------------------------------


def test_changing_a_role_in_the_admin_needs_a_stepup(world_a, world_b, client):
    enrol_totp(world_a.admin.user)
    log_in(client, world_a.admin.user)
    url = f"/admin/advisory/membership/{world_a.advisor.pk}/change/"
    asked_for_stepup(client.get(url), url)
    # Another firm's membership stays a plain 404, not a prompt that confirms it exists.
    assert client.get(f"/admin/advisory/membership/{world_b.advisor.pk}/change/").status_code == 404
    stepped_up(client, world_a.admin.user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"role": "compliance", "is_active": "on"})
    assert response.status_code == 302
    with firm_scope(world_a.firm):
        assert Membership.objects.get(pk=world_a.advisor.pk).role == "compliance"


def test_records_exports_and_their_downloads_need_a_stepup(world_a, client):
    enrol_totp(world_a.compliance.user)
    log_in(client, world_a.compliance.user)
    assert client.get("/compliance/records/").status_code == 200  # the page itself shows
    response = client.post(
        "/compliance/records/",
        {"date_from": "2025-01-01", "date_to": "2025-12-31"},
        headers={"Referer": "http://testserver/compliance/records/"},
    )
    asked_for_stepup(response, "/compliance/records/")
    asked_for_stepup(client.post("/compliance/audit/export/", {"format": "csv"}), "/")


def test_approving_a_disclosure_needs_a_stepup(world_a, client):
    with scopes_disabled():
        made = factories.disclosure(world_a.firm, "not-advice", "", "v1", author=world_a.admin.user)
        version = made.versions.get()
    stepped_up(client, world_a.compliance.user, seconds_ago=3600)
    url = f"/disclosures/versions/{version.pk}/approve/"
    assert client.get(url).status_code == 200
    asked_for_stepup(
        client.post(url, {"confirm": "on"}, headers={"Referer": f"http://testserver{url}"}), url
    )
    stepped_up(client, world_a.compliance.user)
    assert client.post(url, {"confirm": "on"}).status_code == 302
    with scopes_disabled():
        version.refresh_from_db()
    assert version.approved_by_id == world_a.compliance.user.pk


def test_the_code_page_offers_no_password_alternative(world_a, client):
    stepped_up(client, world_a.admin.user)
    body = client.get(f"{REAUTH}?next=/").content.decode()
    assert 'name="code"' in body
    assert "/auth/reauthenticate/" not in body  # a password would only lead back here
