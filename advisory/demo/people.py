"""Invitations in the demo: per firm, one person invited and not yet joined (the people
page lists the pending invitation) and one who joined by accepting an invitation (a login
with the demo password, their acceptance in the trail). Both go through advisory.people,
audited, with no e-mail sent. Idempotent: an address already invited is skipped.
"""

from __future__ import annotations

from advisory.models import Firm, Invitation, Membership, Role
from advisory.people import invitations
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope

from .specs import DEMO_PASSWORD


def _domain(firm: Firm) -> str:
    return firm.slug.replace("-", "") + ".example"


def seed_invited_people(firm: Firm) -> int:
    """Invite a pending advisor and a joined compliance officer; returns how many
    invitations were created (0 on a second run or for a firm without an active admin)."""
    domain = _domain(firm)
    pending, joined = f"invited.advisor@{domain}", f"joined.compliance@{domain}"
    with firm_scope(firm):
        admin = (
            Membership.objects.filter(role=Role.ADMIN, is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
        done = set(
            Invitation.objects.filter(email__in=[pending, joined]).values_list("email", flat=True)
        )
    if admin is None:
        return 0
    created = 0
    with acting_as(actor=admin.user, actor_label=admin.user.email, role=admin.role):
        if pending not in done:
            invitations.issue(
                firm=firm, email=pending, role=Role.ADVISOR, invited_by=admin.user, mail=False
            )
            created += 1
        if joined not in done:
            _, token = invitations.issue(
                firm=firm, email=joined, role=Role.COMPLIANCE, invited_by=admin.user, mail=False
            )
            invitations.accept_as_new_user(
                firm=firm, token=token, full_name="Jordan Lee", password=DEMO_PASSWORD
            )
            created += 1
    return created
