"""Password, e-mail and second-factor changes are audit events on each of the user's firms;
an e-mail change takes effect only once the new address is verified."""

from __future__ import annotations

import re

import pytest
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.test import Client

from advisory.models import Membership, Role, User
from advisory.tenancy import firm_scope
from tests.factories import PASSWORD, enrol_totp, firm_events, log_in

NEW_PASSWORD = "another-long-passphrase-2026"


def codes(world) -> list[str]:
    return [e.action for e in firm_events(world.firm)]


def test_password_change_is_audited_with_the_user_as_actor(world_a):
    client = log_in(Client(), world_a.client.user)
    response = client.post(
        "/auth/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    (event,) = firm_events(world_a.firm, "auth.password_changed")
    assert event.actor_id == world_a.client.user.pk
    assert NEW_PASSWORD not in str(event.changes) and PASSWORD not in str(event.changes)


def test_a_refused_password_change_is_not_audited(world_a):
    client = log_in(Client(), world_a.client.user)
    client.post(
        "/auth/password/change/",
        {"oldpassword": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert firm_events(world_a.firm, "auth.password_changed") == []


def test_account_events_land_on_every_firm_of_the_user(world_a, world_b):
    user = world_a.client.user
    with firm_scope(world_b.firm):
        Membership.objects.create(firm=world_b.firm, user=user, role=Role.CLIENT)
    client = log_in(Client(), user)
    client.post(
        "/auth/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert len(firm_events(world_a.firm, "auth.password_changed")) == 1
    assert len(firm_events(world_b.firm, "auth.password_changed")) == 1


@pytest.mark.parametrize("persona", ["client", "advisor with an authenticator"])
def test_email_change_waits_for_verification_and_tells_the_old_address(
    persona, world_a, mailoutbox
):
    member = world_a.client if persona == "client" else world_a.advisor
    user, old = member.user, member.user.email
    if persona != "client":
        enrol_totp(user)  # allauth alone would refuse any new address on such an account
    client = log_in(Client(), user)
    response = client.post("/auth/email/", {"email": "new@alpha.example", "action_add": ""})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == old  # not yet: the new address is unverified
    (requested,) = firm_events(world_a.firm, "auth.email_change_requested")
    assert requested.changes == {"to": "new@alpha.example"}

    # Making the unverified address primary by hand is refused.
    client.post("/auth/email/", {"email": "new@alpha.example", "action_primary": ""})
    user.refresh_from_db()
    assert user.email == old
    assert firm_events(world_a.firm, "auth.email_changed") == []

    (verification,) = [m for m in mailoutbox if m.to == ["new@alpha.example"]]
    link = re.search(r"http://testserver(/auth/confirm-email/\S+/)", verification.body)
    assert link is not None
    assert client.post(link.group(1)).status_code == 302
    user.refresh_from_db()
    assert user.email == "new@alpha.example"
    (changed,) = firm_events(world_a.firm, "auth.email_changed")
    assert changed.changes == {"email": {"before": old, "after": "new@alpha.example"}}
    notices = [m for m in mailoutbox if m.to == [old]]
    assert len(notices) == 1 and "new@alpha.example" in notices[0].body


def test_second_factor_enrol_reset_and_removal_are_audited(world_a):
    user = User.objects.get(pk=world_a.advisor.user.pk)
    totp = Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
    codes_ = Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={}
    )
    sent = dict(sender=Authenticator, request=None, user=user)
    mfa_signals.authenticator_added.send(authenticator=totp, **sent)
    mfa_signals.authenticator_reset.send(authenticator=codes_, **sent)
    mfa_signals.authenticator_removed.send(authenticator=totp, **sent)
    events = [
        (e.action, e.changes, e.actor_id)
        for e in firm_events(world_a.firm)
        if e.action.startswith("auth.mfa_")
    ]
    assert events == [
        ("auth.mfa_added", {"type": "totp"}, user.pk),
        ("auth.mfa_reset", {"type": "recovery_codes"}, user.pk),
        ("auth.mfa_removed", {"type": "totp"}, user.pk),
    ]
