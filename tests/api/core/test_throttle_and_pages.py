"""Throttles per token and per user (429 with Retry-After), and cursor pages whose query
count does not grow with the firm."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from advisory.api.throttles import TokenRateThrottle, UserRateThrottle
from advisory.models import Account, AccountOwner, Household
from advisory.models import Client as Person
from advisory.tenancy import firm_scope
from tests import factories

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    cache.clear()
    rates = {"api_token": "3/min", "api_user": "5/min"}
    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    yield
    cache.clear()


def test_a_token_is_throttled_with_retry_after(world_a, low_rates):
    client = bearer(make_token(world_a.advisor))
    codes = [client.get("/api/v1/firms/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get("/api/v1/firms/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"].lower()
    # Another token of the same user has its own bucket (until the user's runs out).
    other = bearer(make_token(world_a.advisor))
    assert other.get("/api/v1/firms/").status_code == 429  # user's bucket: 5 used of 5
    # Another user is not affected.
    assert bearer(make_token(world_a.admin)).get("/api/v1/firms/").status_code == 200


def test_a_session_user_is_throttled_too(world_a, low_rates):
    client = factories.log_in(Client(), world_a.admin.user)
    codes = [client.get("/api/v1/firms/").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


# --- Cursor pages -----------------------------------------------------------------------------


def _book(world, count: int, tag: str = "Bulk") -> None:
    """``count`` more households of the advisor's, each with a client owning an account."""
    with firm_scope(world.firm):
        for i in range(count):
            household = Household.objects.create(
                firm=world.firm, name=f"{tag} {i:03d}", primary_advisor=world.advisor
            )
            person = Person.objects.create(
                firm=world.firm, household=household, first_name=f"P{i}", last_name=tag
            )
            account = Account.objects.create(
                firm=world.firm, household=household, name=f"{tag} account {i}",
                registration="individual", tax_status="taxable", custodian="schwab",
                account_number=f"{tag.upper()}-{i:04d}", cash_balance=Decimal("1.00"),
            )  # fmt: skip
            AccountOwner.objects.create(firm=world.firm, account=account, client=person)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("resource", ["households", "accounts", "clients"])
def test_a_page_costs_the_same_queries_at_5_and_50_rows(world_a, resource):
    client = bearer(make_token(world_a.advisor))
    client.get("/api/v1/firms/")  # the token's first use notes last_used_at (once a minute)
    _book(world_a, 5)
    small = _queries(client, f"/api/v1/{resource}/?page_size=50")
    _book(world_a, 45, tag="More")
    large = _queries(client, f"/api/v1/{resource}/?page_size=50")
    assert small == large, (small, large)


def test_pages_follow_a_cursor_without_gaps_or_repeats(world_a):
    _book(world_a, 30)
    client = bearer(make_token(world_a.admin))
    seen: list[int] = []
    url = "/api/v1/households/?page_size=7&ordering=name"
    pages = 0
    while url:
        body = client.get(url).json()
        assert "count" not in body  # no COUNT(*): cursor pages
        seen += [h["id"] for h in body["results"]]
        url = body["next"]
        pages += 1
    with firm_scope(world_a.firm):
        expected = list(Household.objects.order_by("name").values_list("pk", flat=True))
    assert seen == expected and pages == 5
    assert "cursor=" in client.get("/api/v1/households/?page_size=7").json()["next"]


def test_page_size_is_capped_at_200(world_a):
    client = bearer(make_token(world_a.admin))
    _book(world_a, 3)
    body = client.get("/api/v1/households/?page_size=100000").json()
    assert len(body["results"]) == 6 and body["next"] is None
    from advisory.api.pagination import CursorPage

    assert CursorPage.max_page_size == 200 and CursorPage.page_size == 50
