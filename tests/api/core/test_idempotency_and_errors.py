"""Idempotent creates (``Idempotency-Key``) and JSON errors with field messages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from advisory.models import ApiToken, Household, IdempotencyRecord
from advisory.tenancy import firm_scope
from tests import factories

from . import sample_urls
from .conftest import bearer, make_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api.core.sample_urls")]

URL = "/api/v1/new-households/"


def _post(client, body, key=None, raw=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(URL, raw or json.dumps(body), content_type="application/json", **headers)


def test_the_same_key_twice_makes_one_object_and_the_same_answer(world_a):
    client = bearer(make_token(world_a.advisor))
    sample_urls.CREATED.clear()
    first = _post(client, {"name": "Nguyen Household"}, key="k-123")
    again = _post(client, {"name": "Nguyen Household"}, key="k-123")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    assert len(sample_urls.CREATED) == 1
    with firm_scope(world_a.firm):
        assert Household.objects.filter(name="Nguyen Household").count() == 1
        stored = IdempotencyRecord.objects.get(key="k-123")
    assert stored.status_code == 201 and stored.response == first.json()


def test_key_order_and_spacing_do_not_matter(world_a):
    client = bearer(make_token(world_a.advisor))
    first = _post(client, None, key="k-1", raw='{"name": "Order Household", "x": 1}')
    again = _post(client, None, key="k-1", raw='{"x":1,"name":"Order Household"}')
    assert again.status_code == 201 and again.json() == first.json()


def test_the_same_key_with_another_body_is_a_422(world_a):
    client = bearer(make_token(world_a.advisor))
    assert _post(client, {"name": "One Household"}, key="k-9").status_code == 201
    other = _post(client, {"name": "Another Household"}, key="k-9")
    assert other.status_code == 422
    assert "different request" in other.json()["detail"]
    with firm_scope(world_a.firm):
        assert not Household.objects.filter(name="Another Household").exists()


def test_keys_are_per_user(world_a):
    mine, theirs = bearer(make_token(world_a.advisor)), bearer(make_token(world_a.admin))
    assert _post(mine, {"name": "Mine Household"}, key="shared").status_code == 201
    assert _post(theirs, {"name": "Theirs Household"}, key="shared").status_code == 201


def test_without_a_key_every_post_creates(world_a):
    client = bearer(make_token(world_a.advisor))
    assert _post(client, {"name": "Twice Household"}).status_code == 201
    second = _post(client, {"name": "Twice Household"})
    assert second.status_code == 409  # the firm's unique name: a conflict, not a 500
    assert second.json()["detail"]


def test_a_failed_create_can_be_retried_with_its_key(world_a):
    client = bearer(make_token(world_a.advisor))
    bad = _post(client, {"name": ""}, key="k-retry")
    assert bad.status_code == 400
    with firm_scope(world_a.firm):
        assert not IdempotencyRecord.objects.filter(key="k-retry").exists()
    assert _post(client, {"name": "Fixed Household"}, key="k-retry").status_code == 201


def test_a_too_long_key_is_refused(world_a):
    client = bearer(make_token(world_a.advisor))
    assert _post(client, {"name": "Long Household"}, key="k" * 256).status_code == 422


# --- Errors -----------------------------------------------------------------------------------


def test_field_errors_are_json_with_messages(world_a):
    client = bearer(make_token(world_a.advisor))
    response = _post(client, {"name": ""})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"name": ["This field may not be blank."]},
    }


def test_django_validation_errors_are_400_with_their_field(world_a):
    client = bearer(make_token(world_a.advisor))
    response = _post(client, {"name": "django-error"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["Refused by the model layer."]}


def test_domain_errors_are_400_not_500(world_a):
    client = bearer(make_token(world_a.advisor))
    response = _post(client, {"name": "domain-error"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "A domain rule refused it.",
        "errors": {"non_field_errors": ["A domain rule refused it."]},
    }


@pytest.mark.parametrize(
    "raw", ['{"name": ', "[1, 2]", '"just a string"', "\x00\x01", '{"name": {"a": 1}}']
)
def test_malformed_bodies_are_400(world_a, raw):
    client = bearer(make_token(world_a.advisor))
    response = _post(client, None, raw=raw)
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/households/abc/",
        "/api/v1/households/99999999999999999999999/",
        "/api/v1/households/?primary_advisor=x",
        "/api/v1/households/?cursor=garbage",
        "/api/v1/accounts/?held_away=maybe",
        "/api/v1/accounts/?page_size=-1",
        "/api/v1/clients/?household=0",
        "/api/v1/households/?ordering=nonsense",
    ],
)
def test_bad_input_in_the_url_is_never_a_500(world_a, path):
    client = bearer(make_token(world_a.admin))
    response = client.get(path)
    assert response.status_code in (200, 400, 404), (path, response.status_code)
    assert response["Content-Type"] == "application/json"
    if response.status_code == 400:
        assert response.json()["errors"] or response.json()["detail"]


def test_a_filter_error_names_the_parameter(world_a):
    response = bearer(make_token(world_a.admin)).get("/api/v1/accounts/?household=x")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "household": ["household must be a positive whole number."]
    }


def test_an_api_view_gets_the_firm_membership_and_token(world_a, world_b):
    secret = make_token(world_a.compliance, scope="read")
    body = bearer(secret).get("/api/v1/whoami/").json()
    with firm_scope(world_a.firm):
        token_id = ApiToken.objects.get(prefix=secret[:12]).pk
    assert body == {"firm": "alpha", "role": "compliance", "token": token_id,
                    "scoped_households": 3}  # fmt: skip
    assert bearer(secret).post("/api/v1/whoami/").status_code == 403  # read-only token
    client = factories.log_in(Client(), world_a.client.user)
    assert client.get("/api/v1/whoami/").status_code == 403
