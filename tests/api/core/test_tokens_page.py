"""/auth/api-tokens/: make a token (secret shown once), list, revoke; audited."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from advisory.models import ApiToken, AuditEvent
from advisory.tenancy import firm_scope
from tests import factories

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db

PAGE = "/auth/api-tokens/"
NEW = "/auth/api-tokens/new/"
SECRET_RE = re.compile(r"blt_[A-Za-z0-9_-]{30,}")


def _session(membership) -> Client:
    return factories.stepped_up(Client(), membership.user)


def test_making_a_token_shows_the_secret_once(world_a):
    client = _session(world_a.advisor)
    response = client.post(NEW, {"name": "CRM sync", "scope": "write", "days": "90"})
    assert response.status_code == 200
    secret = SECRET_RE.search(response.content.decode()).group(0)
    assert "no-store" in response["Cache-Control"]
    # Never again: not on the list, not in the table.
    listed = client.get(PAGE).content.decode()
    assert secret not in listed and secret[:12] in listed and "CRM sync" in listed
    with scopes_disabled():
        token = ApiToken._base_manager.get(name="CRM sync")
        stored = " ".join(str(v) for v in token.__dict__.values())
    assert secret not in stored
    assert (token.expires_at - token.created_at).days in (89, 90)
    assert bearer(secret).get("/api/v1/firms/").status_code == 200
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="api_token.created")
    assert event.actor_id == world_a.advisor.user_id and event.changes["prefix"] == secret[:12]
    assert secret not in str(event.changes)


def test_making_a_token_needs_a_fresh_second_factor(world_a):
    client = factories.log_in(Client(), world_a.advisor.user)
    response = client.post(NEW, {"name": "x", "scope": "read", "days": "90"})
    assert response.status_code == 302
    with scopes_disabled():
        assert not ApiToken._base_manager.exists()


def test_bad_input_is_a_form_error(world_a):
    client = _session(world_a.advisor)
    response = client.post(NEW, {"name": " ", "scope": "root", "days": "9999"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "field-error" in body and not SECRET_RE.search(body)
    with scopes_disabled():
        assert not ApiToken._base_manager.exists()


def test_compliance_can_only_make_read_only_tokens(world_a):
    client = _session(world_a.compliance)
    refused = client.post(NEW, {"name": "audit pull", "scope": "write", "days": "30"})
    assert not SECRET_RE.search(refused.content.decode())
    made = client.post(NEW, {"name": "audit pull", "scope": "read", "days": "30"})
    assert SECRET_RE.search(made.content.decode())


def test_clients_have_no_tokens_page(world_a):
    client = factories.log_in(Client(), world_a.client.user)
    assert client.get(PAGE).status_code == 403


def test_revoking_is_audited_and_only_for_ones_own(world_a):
    secret = make_token(world_a.advisor)
    with firm_scope(world_a.firm):
        token = ApiToken.objects.get(prefix=secret[:12])
    other = factories.log_in(Client(), world_a.other_advisor.user)
    assert other.post(f"/auth/api-tokens/{token.pk}/revoke/").status_code == 404
    owner = factories.log_in(Client(), world_a.advisor.user)
    response = owner.post(f"/auth/api-tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert bearer(secret).get("/api/v1/firms/").status_code == 401
    assert "Revoked" in owner.get(PAGE).content.decode()
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="api_token.revoked")
    assert event.actor_id == world_a.advisor.user_id and event.object_id == str(token.pk)


def test_another_firms_token_id_is_a_404(world_a, world_b):
    secret = make_token(world_b.advisor)
    with firm_scope(world_b.firm):
        token = ApiToken.objects.get(prefix=secret[:12])
    client = factories.log_in(Client(), world_a.advisor.user)
    assert client.post(f"/auth/api-tokens/{token.pk}/revoke/").status_code == 404
    assert bearer(secret).get("/api/v1/firms/").status_code == 200
