"""Email login, login audit, MFA policy for staff, session lifetime."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from advisory.middleware import SESSION_STARTED_KEY
from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from tests.factories import PASSWORD, firm_events


def actions(firm):
    return [(e.action, e.actor_label) for e in firm_events(firm)]


def test_login_page_renders(client, db):
    response = client.get("/auth/login/")
    assert response.status_code == 200
    assert 'name="login"' in response.content.decode()


def test_email_login_then_logout_are_audited(world_a):
    client = Client()
    response = client.post("/auth/login/", {"login": "advisor@alpha.example", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/auth/logout/")
    assert actions(world_a.firm)[-3:] == [
        ("auth.login", "advisor@alpha.example"),
        ("households.listed", "advisor@alpha.example"),  # the home page lists a book
        ("auth.logout", "advisor@alpha.example"),
    ]


def test_failed_login_is_audited_without_the_password(world_a):
    client = Client()
    response = client.post("/auth/login/", {"login": "advisor@alpha.example", "password": "nope!"})
    assert response.status_code == 200
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_label == "advisor@alpha.example"
    assert event.actor_id is None
    assert "nope" not in str(event.changes)


def test_anonymous_pages_redirect_to_login(client, world_a):
    response = client.get(f"/households/{world_a.household.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")


def test_staff_must_set_up_mfa_when_the_firm_requires_it(world_a, login):
    world_a.firm.require_staff_mfa = True
    world_a.firm.mfa_grace_days = 0  # no grace period (tests/advisory/mfa covers it)
    world_a.firm.save()
    response = login(world_a.advisor).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/auth/2fa/totp/activate/"


def test_clients_are_not_forced_into_mfa(world_a, login):
    world_a.firm.require_staff_mfa = True
    world_a.firm.save()
    response = login(world_a.client).get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/portal/"


def test_staff_with_totp_pass_the_policy(world_a, login):
    from allauth.mfa.models import Authenticator

    world_a.firm.require_staff_mfa = True
    world_a.firm.save()
    world_a.firm.mfa_grace_days = 0
    world_a.firm.save()
    Authenticator.objects.create(
        user=world_a.advisor.user, type=Authenticator.Type.TOTP, data={"secret": "x"}
    )
    assert login(world_a.advisor).get("/").status_code == 200


def test_sessions_end_after_the_absolute_lifetime(world_a, login, settings):
    client = login(world_a.advisor)
    assert client.get("/").status_code == 200
    session = client.session
    session[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 5
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/auth/login/")
    assert client.get("/").status_code == 302  # really logged out


def test_sessions_have_an_idle_timeout(settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_COOKIE_AGE <= 60 * 60


@pytest.mark.parametrize("path", ["/auth/password/reset/", "/auth/logout/"])
def test_clean_auth_pages_exist(client, world_a, login, path):
    if path == "/auth/logout/":
        login(world_a.advisor)
    assert client.get(path).status_code == 200


def test_password_reset_sends_mail_and_reveals_nothing(client, world_a, mailoutbox):
    known = client.post("/auth/password/reset/", {"email": "advisor@alpha.example"})
    unknown = client.post("/auth/password/reset/", {"email": "nobody@nowhere.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mailoutbox] == [["advisor@alpha.example"]]


def test_signup_is_closed(client, db):
    from advisory.models import User

    body = client.get("/auth/signup/").content.decode()
    assert "Invitation only" in body
    assert 'name="password1"' not in body
    client.post(
        "/auth/signup/",
        {"email": "walk-in@example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="walk-in@example.com").exists()
