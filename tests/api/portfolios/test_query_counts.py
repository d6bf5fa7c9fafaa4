"""Every list (and the proposal detail) costs the same number of queries for 2 rows as for 20:
labels come with select_related / prefetch_related, never one query per row."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.models import Household
from portfolios.models import (
    DriftSnapshot,
    ModelPortfolio,
    Proposal,
    ProposedTrade,
    Restriction,
    Security,
    Target,
    TargetEquivalent,
    TaxLot,
)
from tests import factories
from tests.api.portfolios.helpers import BASE
from tests.factories import AS_OF

SERIAL = itertools.count()  # unique names across both batches


def _securities(world, classes, n):
    for _ in range(n):
        sec = factories.security(f"Q{next(SERIAL):03d}", classes["us-large-cap"])
        factories.price(sec, "10.00", AS_OF)


def _positions(world, classes, n):
    sec = world.lot.security
    TaxLot.objects.bulk_create(
        TaxLot(firm=world.firm, account=world.account, security=sec, quantity=Decimal(1),
               cost_basis=Decimal(1), acquired_on=dt.date(2024, 1, 1))
        for _ in range(n)
    )  # fmt: skip


def _models(world, classes, n):
    for _ in range(n):
        model = ModelPortfolio.objects.create(firm=world.firm, name=f"M{next(SERIAL)}")
        target = Target.objects.create(
            firm=world.firm, model=model, asset_class=classes["us-large-cap"],
            weight=Decimal(100), preferred_security=world.lot.security,
        )  # fmt: skip
        TargetEquivalent.objects.create(
            firm=world.firm,
            target=target,
            security=factories.security(f"E{next(SERIAL):03d}", classes["us-large-cap"]),
        )


def _households(world, n):
    return [
        Household.objects.create(
            firm=world.firm, name=f"H{next(SERIAL)}", primary_advisor=world.advisor
        )
        for _ in range(n)
    ]


def _drift(world, classes, n):
    for h in _households(world, n):
        DriftSnapshot.objects.create(
            firm=world.firm, kind="household", subject_id=h.pk, household=h, as_of=AS_OF,
            status="breached", market_value=Decimal(1), cash_value=Decimal(1),
            computed_at=timezone.now(),
        )  # fmt: skip


def _proposals(world, classes, n):
    for h in _households(world, n):
        p = Proposal.objects.create(
            firm=world.firm, household=h, mode="to_band", author=world.advisor.user,
            inputs_fingerprint="x" * 64, as_of=AS_OF,
        )  # fmt: skip
        ProposedTrade.objects.create(
            firm=world.firm, proposal=p, account=world.account, security=world.lot.security,
            side="buy", quantity=Decimal(1), price=Decimal(1), value=Decimal(1),
        )  # fmt: skip


def _restrictions(world, classes, n):
    for h in _households(world, n):
        Restriction.objects.create(
            firm=world.firm, security=world.lot.security, side="buy", household=h, reason="r"
        )


def _reports(world, classes, n):
    for h in _households(world, n):
        factories.stored_report(h)


CASES = {
    "securities": _securities,
    "prices": _securities,
    "positions": _positions,
    "models": _models,
    "drift-snapshots": _drift,
    "proposals": _proposals,
    "restrictions": _restrictions,
    "reports": _reports,
}


def count(client, url: str) -> int:
    """Queries of a repeated request (the first one also notes the token's use)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


@pytest.mark.parametrize("resource", sorted(CASES))
def test_list_query_count_is_constant(world_a, classes, api, resource):
    client = api(world_a.admin, token="read")
    url = f"{BASE}/{resource}/"
    with scopes_disabled():
        CASES[resource](world_a, classes, 2)
    few = count(client, url)
    rows = len(client.get(url).json()["results"])
    with scopes_disabled():
        CASES[resource](world_a, classes, 18)
    assert len(client.get(url).json()["results"]) >= rows + 18
    assert count(client, url) == few


def test_proposal_detail_query_count_is_constant(world_a, classes, api):
    with scopes_disabled():
        _proposals(world_a, classes, 1)
        proposal = Proposal.objects.get()
    client = api(world_a.admin, token="read")
    url = f"{BASE}/proposals/{proposal.pk}/"
    few = count(client, url)
    with scopes_disabled():
        ProposedTrade.objects.bulk_create(
            ProposedTrade(firm=world_a.firm, proposal=proposal, account=world_a.account,
                          security=Security.objects.get(symbol="VOO"), side="sell",
                          quantity=Decimal(1), price=Decimal(1), value=Decimal(1))
            for _ in range(20)
        )  # fmt: skip
    assert count(client, url) == few
    assert len(client.get(url).json()["trades"]) == 21
