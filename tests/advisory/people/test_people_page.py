"""The people page: members with role, status, MFA and last sign-in; role changes,
deactivation and reactivation, each audited and after a step-up; the last admin stays."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.models import AuditEvent, Invitation, Membership, Role
from advisory.tenancy import firm_scope
from tests import factories


@pytest.fixture
def admin_client(client, world_a):
    return factories.stepped_up(client, world_a.admin.user)


def events(firm, action) -> list[AuditEvent]:
    with firm_scope(firm):
        return list(AuditEvent.objects.filter(action=action.code).order_by("seq"))


def reload(membership) -> Membership:
    with firm_scope(membership.firm_id):
        return Membership.objects.get(pk=membership.pk)


def test_page_lists_members_invitations_and_mfa(world_a, world_b, admin_client):
    factories.enrol_totp(world_a.advisor.user)
    with scopes_disabled():
        Invitation.objects.create(
            firm=world_a.firm,
            email="pending@alpha.example",
            role="advisor",
            token_digest="a" * 64,
            invited_by=world_a.admin.user,
            expires_at="2099-01-01T00:00:00Z",
        )
    page = admin_client.get("/firm/people/")
    assert page.status_code == 200
    body = page.content.decode()
    for person in ("admin@alpha.example", "advisor@alpha.example", "client@alpha.example"):
        assert person in body
    assert "pending@alpha.example" in body
    row = body.split(f'id="member-{world_a.advisor.pk}"')[1].split("</tr>")[0]
    assert "enrolled" in row and "Advisor" in row
    row = body.split(f'id="member-{world_a.compliance.pk}"')[1].split("</tr>")[0]
    assert "not set up" in row
    assert "zeta.example" not in body and "ZetaSecret" not in body


@pytest.mark.parametrize("persona", ["advisor", "compliance", "client"])
def test_only_firm_admins_open_the_page(world_a, client, persona):
    factories.stepped_up(client, getattr(world_a, persona).user)
    assert client.get("/firm/people/").status_code == 403
    target = world_a.other_advisor.pk
    assert client.post(f"/firm/people/{target}/deactivate/").status_code == 403
    assert (
        client.post("/firm/people/invite/", {"email": "x@x.example", "role": "admin"}).status_code
        == 403
    )
    assert reload(world_a.other_advisor).is_active


def test_role_change_is_audited(world_a, admin_client):
    response = admin_client.post(f"/firm/people/{world_a.advisor.pk}/role/", {"role": "compliance"})
    assert response.status_code == 302
    assert reload(world_a.advisor).role == Role.COMPLIANCE
    (event,) = events(world_a.firm, actions.MEMBERSHIP_ROLE_CHANGED)
    assert event.changes["role"] == {"before": "advisor", "after": "compliance"}
    assert event.actor == world_a.admin.user and event.object_id == str(world_a.advisor.pk)


def test_a_client_login_is_not_given_a_staff_role(world_a, admin_client):
    admin_client.post(f"/firm/people/{world_a.client.pk}/role/", {"role": "admin"})
    assert reload(world_a.client).role == Role.CLIENT
    assert events(world_a.firm, actions.MEMBERSHIP_ROLE_CHANGED) == []


def test_deactivate_ends_access_and_sessions_then_reactivate(world_a, admin_client):
    advisor = Client()
    signed_in = advisor.post(
        "/auth/login/", {"login": world_a.advisor.user.email, "password": factories.PASSWORD}
    )
    assert signed_in.status_code == 302
    assert advisor.get("/").status_code == 200
    assert UserSession.objects.filter(user=world_a.advisor.user).exists()

    assert admin_client.post(f"/firm/people/{world_a.advisor.pk}/deactivate/").status_code == 302
    assert not reload(world_a.advisor).is_active
    (event,) = events(world_a.firm, actions.MEMBERSHIP_DEACTIVATED)
    assert event.changes["is_active"] == {"before": True, "after": False}
    assert event.changes["logins_ended"] >= 1
    # Their session is over: the next request is sent to sign in.
    response = advisor.get("/")
    assert response.status_code == 302 and "/auth/login/" in response["Location"]

    assert admin_client.post(f"/firm/people/{world_a.advisor.pk}/reactivate/").status_code == 302
    assert reload(world_a.advisor).is_active
    assert len(events(world_a.firm, actions.MEMBERSHIP_REACTIVATED)) == 1


def test_a_deactivated_user_is_refused_at_sign_in(world_a, admin_client):
    admin_client.post(f"/firm/people/{world_a.advisor.pk}/deactivate/")
    browser = Client()
    response = browser.post(
        "/auth/login/",
        {"login": world_a.advisor.user.email, "password": factories.PASSWORD},
        follow=True,
    )
    # The password is right but the firm is gone: no page of the firm opens.
    assert response.status_code == 403
    assert "Alpha Household" not in response.content.decode()
    assert browser.get(f"/households/{world_a.household.pk}/").status_code in (302, 403)


def test_a_person_of_two_firms_keeps_the_other(world_a, world_b, admin_client):
    user = world_b.advisor.user
    with scopes_disabled():
        both = Membership.objects.create(firm=world_a.firm, user=user, role=Role.ADVISOR)
    admin_client.post(f"/firm/people/{both.pk}/deactivate/")
    (event,) = events(world_a.firm, actions.MEMBERSHIP_DEACTIVATED)
    assert event.changes["logins_ended"] == 0
    browser = factories.log_in(Client(), user)
    session = browser.session
    session["firm_id"] = world_a.firm.pk
    session.save()
    page = browser.get("/").content.decode()
    assert "ZetaSecret" in page and "Alpha Household" not in page


def test_the_last_admin_cannot_demote_or_deactivate_themselves(world_a, admin_client):
    me = world_a.admin
    before = len(events(world_a.firm, actions.MEMBERSHIP_ROLE_CHANGED))
    response = admin_client.post(f"/firm/people/{me.pk}/role/", {"role": "advisor"}, follow=True)
    assert "last active admin" in response.content.decode()
    admin_client.post(f"/firm/people/{me.pk}/deactivate/")
    me = reload(me)
    assert (me.role, me.is_active) == (Role.ADMIN, True)
    assert len(events(world_a.firm, actions.MEMBERSHIP_ROLE_CHANGED)) == before
    assert events(world_a.firm, actions.MEMBERSHIP_DEACTIVATED) == []


def test_nobody_removes_the_last_admin(world_a, client):
    """A second admin may step down; then the remaining one cannot be removed by anyone."""
    second = world_a.advisor
    with scopes_disabled():
        Membership.objects.filter(pk=second.pk).update(role=Role.ADMIN)
    browser = factories.stepped_up(client, second.user)
    assert browser.post(f"/firm/people/{world_a.admin.pk}/deactivate/").status_code == 302
    assert not reload(world_a.admin).is_active
    # Now `second` is the only active admin: demoting themselves is refused.
    browser.post(f"/firm/people/{second.pk}/role/", {"role": "advisor"})
    assert reload(second).role == Role.ADMIN
    # The deactivated admin does not count.
    page = browser.get("/firm/people/").content.decode()
    assert "Last active admin" in page


def test_changes_need_a_step_up(world_a, client):
    factories.enrol_totp(world_a.admin.user)
    factories.log_in(client, world_a.admin.user)
    assert client.get("/firm/people/").status_code == 200
    response = client.post(f"/firm/people/{world_a.advisor.pk}/deactivate/")
    assert response.status_code == 302 and "/reauthenticate/" in response["Location"]
    assert reload(world_a.advisor).is_active


def test_another_firms_member_or_invitation_is_404(world_a, world_b, admin_client):
    with scopes_disabled():
        theirs = Invitation.objects.create(
            firm=world_b.firm,
            email="x@zeta.example",
            role="advisor",
            token_digest="b" * 64,
            invited_by=world_b.admin.user,
            expires_at="2099-01-01T00:00:00Z",
        )
    for path in (
        f"/firm/people/{world_b.advisor.pk}/role/",
        f"/firm/people/{world_b.advisor.pk}/deactivate/",
        f"/firm/people/{world_b.advisor.pk}/reactivate/",
        f"/firm/people/invitations/{theirs.pk}/resend/",
        f"/firm/people/invitations/{theirs.pk}/revoke/",
    ):
        assert admin_client.post(path, {"role": "admin"}).status_code == 404, path
    assert reload(world_b.advisor).is_active and reload(world_b.advisor).role == Role.ADVISOR
    with scopes_disabled():
        theirs.refresh_from_db()
        assert theirs.revoked_at is None
        assert not AuditEvent.objects.filter(
            firm=world_b.firm, action__startswith="membership."
        ).exists()
