"""The demo's API tokens work with their published secrets, once."""

from __future__ import annotations

import pytest

from advisory.demo.api_tokens import demo_token_secret, seed_api_tokens
from advisory.models import AuditEvent
from advisory.tenancy import firm_scope

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_the_demo_tokens_work_and_are_seeded_once(world_a):
    made = seed_api_tokens(world_a.firm)
    assert [(email, scope) for email, scope, _ in made] == [
        ("advisor@alpha.example", "write"),
        ("compliance@alpha.example", "read"),
    ]
    assert seed_api_tokens(world_a.firm) == []
    advisor = bearer(demo_token_secret("alpha", "advisor"))
    assert advisor.get("/api/v1/households/").status_code == 200
    compliance = bearer(demo_token_secret("alpha", "compliance"))
    events = compliance.get("/api/v1/audit-events/", {"token": made[0][2][:12]}).json()
    assert [e["action"] for e in events["results"]] == ["households.listed", "household.viewed"]
    with firm_scope(world_a.firm):
        assert AuditEvent.objects.filter(action="api_token.created").count() == 2
