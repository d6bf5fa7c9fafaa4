"""Small helpers of the portfolio API tests."""

from __future__ import annotations

from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Proposal

BASE = "/api/v1"


def proposal_actions(proposal_id: int) -> list[str]:
    """The proposal's own audit actions, in chain order."""
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(object_type="portfolios.proposal", object_id=str(proposal_id))
            .exclude(action="proposal.viewed")
            .order_by("seq")
            .values_list("action", flat=True)
        )


def load(proposal_id: int) -> Proposal:
    with scopes_disabled():
        return Proposal.objects.get(pk=proposal_id)


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]
