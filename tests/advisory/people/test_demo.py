"""The demo's invitations: one pending, one accepted; a second run creates nothing."""

from __future__ import annotations

from django.core import mail

from advisory import audit_actions as actions
from advisory.demo.people import seed_invited_people
from advisory.demo.specs import DEMO_PASSWORD
from advisory.models import AuditEvent, Invitation, Membership, Role
from advisory.tenancy import firm_scope


def test_seeds_a_pending_and_an_accepted_invitation_once(world_a):
    assert seed_invited_people(world_a.firm) == 2
    with firm_scope(world_a.firm):
        pending = Invitation.objects.get(email="invited.advisor@alpha.example")
        joined = Invitation.objects.get(email="joined.compliance@alpha.example")
        member = Membership.objects.get(user=joined.accepted_by)
        accepted = AuditEvent.objects.get(action=actions.INVITATION_ACCEPTED.code)
    assert pending.accepted_at is None and pending.role == Role.ADVISOR
    assert member.role == Role.COMPLIANCE and member.user.check_password(DEMO_PASSWORD)
    assert accepted.actor == member.user
    assert mail.outbox == []
    assert seed_invited_people(world_a.firm) == 0
    with firm_scope(world_a.firm):
        assert Invitation.objects.count() == 2
