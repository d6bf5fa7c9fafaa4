"""Staff MFA by default: a grace period from the first request, a banner during it, then
enrolment before anything else. Clients are never forced; recovery codes follow set-up."""

from __future__ import annotations

import datetime as dt

import time_machine
from allauth.mfa.models import Authenticator
from django.utils import timezone

from advisory.models import Firm, Membership
from advisory.tenancy import firm_scope
from tests.factories import PASSWORD, enrol_totp, log_in

ACTIVATE = "/auth/2fa/totp/activate/"


def grace_started(membership: Membership) -> dt.datetime | None:
    with firm_scope(membership.firm_id):
        return Membership.objects.get(pk=membership.pk).mfa_grace_started_at


def test_new_firms_require_staff_mfa_and_four_eyes_always(db):
    firm = Firm.objects.create(name="New", slug="new")
    assert firm.require_staff_mfa is True
    assert firm.self_approval_below is None


def test_the_grace_starts_on_the_first_request_and_shows_a_banner(world_a, client):
    assert grace_started(world_a.advisor) is None
    response = log_in(client, world_a.advisor.user).get("/")
    assert response.status_code == 200
    started = grace_started(world_a.advisor)
    assert started is not None and timezone.now() - started < dt.timedelta(minutes=1)
    body = response.content.decode()
    assert "requires two-factor authentication for staff" in body
    assert ACTIVATE in body
    client.get("/")
    assert grace_started(world_a.advisor) == started  # started once, not every request


def test_after_the_grace_staff_must_enrol_before_anything_else(world_a, client, settings):
    settings.BALLAST_MFA_GRACE_DAYS = 7
    log_in(client, world_a.advisor.user).get("/")
    with time_machine.travel(timezone.now() + dt.timedelta(days=7, minutes=1)):
        log_in(client, world_a.advisor.user)
        response = client.get(f"/households/{world_a.household.pk}/")
        assert response.status_code == 302
        assert response["Location"] == ACTIVATE
        htmx = client.get("/", headers={"HX-Request": "true"})
        assert htmx["HX-Redirect"] == ACTIVATE
        assert client.get(ACTIVATE).status_code in (200, 302)  # the set-up itself is open
        api = client.get("/api/v1/households/")  # a program is told in JSON, not redirected
        assert api.status_code == 403
        assert "two-factor" in api.json()["detail"]


def test_a_firm_may_shorten_the_grace_to_nothing(world_a, client):
    Firm.objects.filter(pk=world_a.firm.pk).update(mfa_grace_days=0)
    response = log_in(client, world_a.compliance.user).get("/compliance/")
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE


def test_enrolled_staff_pass_without_a_banner(world_a, client):
    Firm.objects.filter(pk=world_a.firm.pk).update(mfa_grace_days=0)
    enrol_totp(world_a.admin.user)
    response = log_in(client, world_a.admin.user).get("/")
    assert response.status_code == 200
    assert "requires two-factor authentication" not in response.content.decode()


def test_clients_are_never_forced(world_a, client):
    Firm.objects.filter(pk=world_a.firm.pk).update(mfa_grace_days=0)
    response = log_in(client, world_a.client.user).get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/portal/"
    assert grace_started(world_a.client) is None


def test_a_firm_that_switched_it_off_does_not_force_staff(world_a, client):
    Firm.objects.filter(pk=world_a.firm.pk).update(require_staff_mfa=False, mfa_grace_days=0)
    response = log_in(client, world_a.advisor.user).get("/")
    assert response.status_code == 200
    assert "requires two-factor authentication" not in response.content.decode()


def test_setting_up_totp_offers_recovery_codes_and_sign_in_asks_for_a_code(world_a, client):
    user = world_a.advisor.user
    client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    page = client.get(ACTIVATE)
    if page.status_code == 302:  # allauth asks for the password again before set-up
        client.post(page["Location"], {"password": PASSWORD})
        page = client.get(ACTIVATE)
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    done = client.post(ACTIVATE, {"code": code})
    assert done.status_code == 302
    assert done["Location"] == "/auth/2fa/recovery-codes/"
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()
    codes_page = client.get("/auth/2fa/recovery-codes/")
    assert codes_page.status_code == 200

    client.post("/auth/logout/")
    fresh = client.post("/auth/login/", {"login": user.email, "password": PASSWORD})
    assert fresh["Location"] == "/auth/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in until the code
