"""Token and session authentication of /api/v1/: a token is hashed at rest, expires, can be
revoked, and a read-only one never writes; the session needs its CSRF token for writes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.api import tokens
from advisory.api.authentication import find_token
from advisory.models import ApiToken
from advisory.tenancy import firm_scope
from tests import factories

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/api/v1/households/"


def _token(secret: str) -> ApiToken:
    with scopes_disabled():
        return ApiToken._base_manager.get(prefix=secret[: tokens.PREFIX_LENGTH])


def test_a_valid_token_reads_and_notes_its_use(world_a):
    secret = make_token(world_a.advisor)
    response = bearer(secret).get(HOUSEHOLDS)
    assert response.status_code == 200
    assert {h["name"] for h in response.json()["results"]} == {
        "Alpha Household",
        "Alpha Team Household",
    }
    assert _token(secret).last_used_at is not None


def test_the_secret_is_stored_only_as_its_digest(world_a):
    secret = make_token(world_a.advisor)
    token = _token(secret)
    stored = [str(v) for v in token.__dict__.values()]
    assert secret not in stored
    assert token.digest == tokens.digest_of(secret) and len(token.digest) == 64
    assert token.prefix == secret[:12] and len(secret) > 40


@pytest.mark.parametrize(
    "header",
    [
        "Bearer blt_wrong-secret-of-the-right-shape-xxxxxxxxxxxxxxx",
        "Bearer nothing-like-a-token",
        "Bearer ",
        "Bearer a b",
    ],
)
def test_a_wrong_token_is_a_json_401(world_a, header):
    make_token(world_a.advisor)
    response = Client(HTTP_AUTHORIZATION=header).get(HOUSEHOLDS)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] and response.json()["errors"] == {}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_right_prefix_with_a_wrong_rest_is_refused(world_a):
    secret = make_token(world_a.advisor)
    forged = secret[:12] + "x" * (len(secret) - 12)
    assert find_token(forged) is None
    assert bearer(forged).get(HOUSEHOLDS).status_code == 401


def test_no_credentials_is_a_401(world_a):
    response = Client().get(HOUSEHOLDS)
    assert response.status_code == 401
    assert response.json()["detail"]


def test_an_expired_token_is_a_401(world_a):
    secret = make_token(world_a.advisor)
    with firm_scope(world_a.firm):
        ApiToken.objects.filter(prefix=secret[:12]).update(
            expires_at=timezone.now() - dt.timedelta(seconds=1)
        )
    response = bearer(secret).get(HOUSEHOLDS)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_a_401_at_once(world_a):
    secret = make_token(world_a.advisor)
    client = bearer(secret)
    assert client.get(HOUSEHOLDS).status_code == 200
    with firm_scope(world_a.firm):
        assert tokens.revoke_token(token=_token(secret)) is True
    response = client.get(HOUSEHOLDS)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_deactivated_member_token_is_refused(world_a):
    secret = make_token(world_a.advisor)
    with firm_scope(world_a.firm):
        world_a.advisor.is_active = False
        world_a.advisor.save(update_fields=["is_active"])
    assert bearer(secret).get(HOUSEHOLDS).status_code == 401


def test_a_read_only_token_cannot_write(world_a):
    secret = make_token(world_a.admin, scope="read")
    for method in ("post", "put", "patch", "delete"):
        response = getattr(bearer(secret), method)(
            f"{HOUSEHOLDS}{world_a.household.pk}/", {}, content_type="application/json"
        )
        assert response.status_code == 403, method
        assert response.json()["detail"] == "This token is read-only."


def test_a_token_lifetime_is_bounded(world_a):
    with firm_scope(world_a.firm), pytest.raises(ValueError):
        tokens.create_token(membership=world_a.advisor, name="x", scope="read", days=366)
    with firm_scope(world_a.firm), pytest.raises(ValueError):
        tokens.create_token(membership=world_a.compliance, name="x", scope="write", days=30)
    with firm_scope(world_a.firm), pytest.raises(ValueError):
        tokens.create_token(membership=world_a.client, name="x", scope="read", days=30)


def test_the_session_works_and_enforces_csrf(world_a):
    client = Client(enforce_csrf_checks=True)
    factories.log_in(client, world_a.admin.user)
    assert client.get(HOUSEHOLDS).status_code == 200
    response = client.post(HOUSEHOLDS, {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_a_client_login_is_refused(world_a):
    client = factories.log_in(Client(), world_a.client.user)
    response = client.get(HOUSEHOLDS)
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role cannot read this resource."
