"""Invite → e-mail with a link → accept: a new login or an existing one joins the firm; a
client invitation links the Client record. Links are single-use, expire, and only their
SHA-256 is stored; a bad link changes nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.models import AuditEvent, Client, Invitation, Membership, Role, User
from advisory.people import invitations
from advisory.people.tokens import digest_of
from advisory.tenancy import firm_scope
from tests import factories

NEW_PASSWORD = "a long enough passphrase for ballast"
LINK = re.compile(r"http://[^/\s]+(/join/[a-z0-9-]+/([A-Za-z0-9_-]+)/)")


@pytest.fixture
def admin_client(client, world_a):
    return factories.stepped_up(client, world_a.admin.user)


def invite(admin_client, capture, **data) -> tuple[str, str]:
    """Post the invitation form; returns the link's path and token from the e-mail."""
    mail.outbox.clear()
    with capture(execute=True):
        response = admin_client.post("/firm/people/invite/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    (message,) = mail.outbox
    path, token = LINK.search(message.body).groups()
    return path, token


def snapshot(firm) -> tuple:
    """Everything an acceptance could change."""
    with firm_scope(firm):
        return (
            sorted(Membership.objects.values_list("pk", "role", "is_active")),
            sorted(
                Invitation.objects.values_list("pk", "accepted_at", "revoked_at", "token_digest")
            ),
            sorted(Client.objects.values_list("pk", "user_id")),
            User.objects.count(),
            AuditEvent.objects.count(),
        )


def test_invite_new_advisor_accepts_under_the_mfa_policy(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    path, token = invite(
        admin_client, django_capture_on_commit_callbacks, email="Nina@Alpha.example", role="advisor"
    )
    assert path.startswith("/join/alpha/")
    # Only the digest is stored, never the token itself.
    with firm_scope(world_a.firm):
        invitation = Invitation.objects.get(email="nina@alpha.example")
    assert invitation.token_digest == digest_of(token) and token not in invitation.token_digest
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM advisory_invitation WHERE token_digest = %s", [token])
        assert cursor.fetchone()[0] == 0
    with firm_scope(world_a.firm):
        created = AuditEvent.objects.get(action=actions.INVITATION_CREATED.code)
    assert token not in str(created.changes)

    newcomer = client_factory()
    page = newcomer.get(path)
    assert page.status_code == 200 and "Join Alpha Firm" in page.content.decode()
    response = newcomer.post(
        path, {"full_name": "Nina Novak", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="nina@alpha.example")
    assert user.full_name == "Nina Novak" and user.check_password(NEW_PASSWORD)
    with firm_scope(world_a.firm):
        membership = Membership.objects.get(user=user)
        invitation.refresh_from_db()
        accepted = AuditEvent.objects.get(action=actions.INVITATION_ACCEPTED.code)
    assert (membership.role, membership.is_active) == (Role.ADVISOR, True)
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert accepted.actor == user and accepted.changes["membership"] == membership.pk
    # Signed in as the new advisor, under the firm's staff MFA policy: the grace banner.
    home = newcomer.get("/")
    assert home.status_code == 200
    assert "requires two-factor authentication for staff" in home.content.decode()


def test_client_invitation_links_the_client_record(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    with scopes_disabled():
        partner = Client.objects.create(
            firm=world_a.firm,
            household=world_a.household,
            first_name="Pat",
            last_name="Partner",
            email="pat@home.example",
        )
    # The address defaults to the client record's.
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, role="client", client=partner.pk
    )
    newcomer = client_factory()
    response = newcomer.post(
        path, {"full_name": "Pat Partner", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="pat@home.example")
    with firm_scope(world_a.firm):
        partner.refresh_from_db()
        assert partner.user == user
        assert Membership.objects.get(user=user).role == Role.CLIENT
    assert newcomer.get("/portal/").status_code == 200


def test_client_invitation_needs_a_client_record(world_a, admin_client):
    response = admin_client.post("/firm/people/invite/", {"email": "x@y.example", "role": "client"})
    assert response.status_code == 400
    assert "Choose the client record" in response.content.decode()
    with firm_scope(world_a.firm):
        assert not Invitation.objects.exists()


def test_another_firms_client_cannot_be_named(world_a, world_b, admin_client):
    with scopes_disabled():
        stranger = Client.objects.create(
            firm=world_b.firm, household=world_b.household, first_name="Zed", last_name="Z"
        )
    response = admin_client.post(
        "/firm/people/invite/", {"email": "z@z.example", "role": "client", "client": stranger.pk}
    )
    assert response.status_code == 400
    with scopes_disabled():
        assert not Invitation.objects.exists()


def test_existing_member_and_duplicate_invitations_are_refused(
    world_a, admin_client, django_capture_on_commit_callbacks
):
    response = admin_client.post(
        "/firm/people/invite/", {"email": world_a.advisor.user.email, "role": "advisor"}
    )
    assert response.status_code == 400 and "already a member" in response.content.decode()
    invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    response = admin_client.post(
        "/firm/people/invite/", {"email": "n@alpha.example", "role": "admin"}
    )
    assert response.status_code == 400 and "pending invitation" in response.content.decode()
    with firm_scope(world_a.firm):
        assert Invitation.objects.count() == 1


def test_existing_user_signs_in_and_accepts(
    world_a, world_b, admin_client, client_factory, django_capture_on_commit_callbacks
):
    """A person who already works for firm B joins firm A with the same login."""
    elsewhere = world_b.advisor.user
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email=elsewhere.email, role="compliance"
    )
    anonymous = client_factory()
    page = anonymous.get(path).content.decode()
    assert "already exists" in page and "/auth/login/?next=" in page
    # Anonymous cannot create a second login for the address.
    response = anonymous.post(
        path, {"full_name": "X", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert User.objects.filter(email=elsewhere.email).count() == 1
    with firm_scope(world_a.firm):
        assert not Membership.objects.filter(user=elsewhere).exists()

    signed_in = factories.log_in(client_factory(), elsewhere)
    assert "Accept and join Alpha Firm" in signed_in.get(path).content.decode()
    response = signed_in.post(path)
    assert response.status_code == 302
    with firm_scope(world_a.firm):
        assert Membership.objects.get(user=elsewhere).role == Role.COMPLIANCE
    assert signed_in.session["firm_id"] == world_a.firm.pk


def test_another_signed_in_user_cannot_accept(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="admin"
    )
    someone = factories.log_in(client_factory(), world_a.client.user)
    before = snapshot(world_a.firm)
    assert someone.get(path).status_code == 403
    assert someone.post(path).status_code == 403
    assert snapshot(world_a.firm) == before


def test_password_validators_apply(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    before = snapshot(world_a.firm)
    response = client_factory().post(
        path, {"full_name": "Nina", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert snapshot(world_a.firm) == before


# --- Links that do not work change nothing ---------------------------------------------------


def accept(client, path):
    return client.post(
        path, {"full_name": "Nina", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )


def test_a_used_link_does_not_work_twice(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    assert accept(client_factory(), path).status_code == 302
    before = snapshot(world_a.firm)
    response = accept(client_factory(), path)
    assert response.status_code == 410 and "already used" in response.content.decode()
    assert snapshot(world_a.firm) == before


def test_an_expired_link_does_not_work(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks, settings
):
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    before = snapshot(world_a.firm)
    later = timezone.now() + dt.timedelta(days=settings.BALLAST_INVITATION_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        response = accept(client_factory(), path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert snapshot(world_a.firm) == before
    assert not User.objects.filter(email="n@alpha.example").exists()


def test_a_revoked_link_does_not_work(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    with firm_scope(world_a.firm):
        invitation = Invitation.objects.get()
    assert admin_client.post(f"/firm/people/invitations/{invitation.pk}/revoke/").status_code == 302
    with firm_scope(world_a.firm):
        invitation.refresh_from_db()
        assert invitation.revoked_at is not None
        assert AuditEvent.objects.filter(action=actions.INVITATION_REVOKED.code).count() == 1
    before = snapshot(world_a.firm)
    response = accept(client_factory(), path)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert snapshot(world_a.firm) == before


@pytest.mark.parametrize("tamper", ["token", "firm"])
def test_a_tampered_link_does_not_work(
    world_a, world_b, admin_client, client_factory, django_capture_on_commit_callbacks, tamper
):
    path, token = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    if tamper == "token":
        bad = path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))
    else:  # firm A's token under firm B's slug: firm B's scope has no such invitation
        bad = path.replace("/alpha/", "/zeta/")
    before = snapshot(world_a.firm)
    response = accept(client_factory(), bad)
    assert response.status_code == 404
    body = response.content.decode()
    assert "not one we know" in body and "Alpha Firm" not in body and "ZetaSecret" not in body
    assert snapshot(world_a.firm) == before


def test_resend_kills_the_old_link_and_mails_a_new_one(
    world_a, admin_client, client_factory, django_capture_on_commit_callbacks
):
    old_path, _ = invite(
        admin_client, django_capture_on_commit_callbacks, email="n@alpha.example", role="advisor"
    )
    with firm_scope(world_a.firm):
        invitation = Invitation.objects.get()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/firm/people/invitations/{invitation.pk}/resend/")
    assert response.status_code == 302
    (message,) = mail.outbox
    new_path, _ = LINK.search(message.body).groups()
    assert new_path != old_path
    assert accept(client_factory(), old_path).status_code == 404
    assert accept(client_factory(), new_path).status_code == 302
    with firm_scope(world_a.firm):
        assert AuditEvent.objects.filter(action=actions.INVITATION_RESENT.code).count() == 1


def test_nothing_is_mailed_when_the_invitation_is_rolled_back(
    world_a, django_capture_on_commit_callbacks
):
    """The e-mail leaves on commit: an invitation whose transaction fails mails no link."""
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        invitations.invite(
            firm=world_a.firm,
            email="n@alpha.example",
            role="advisor",
            invited_by=world_a.admin.user,
        )
        raise RuntimeError("the caller's transaction fails")
    assert mail.outbox == []
    with firm_scope(world_a.firm):
        assert not Invitation.objects.exists()
