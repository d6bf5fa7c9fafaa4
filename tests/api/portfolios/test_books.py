"""Positions, model portfolios and drift snapshots: what each role may see, the filters, and
another firm's ids as 404s."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.model_versions.service import ensure_live_version
from portfolios.models import DriftSnapshot, TaxLot
from tests.api.portfolios.helpers import BASE, results


def lot(world, account, quantity="3"):
    with scopes_disabled():
        return TaxLot.objects.create(
            firm=world.firm, account=account, security=world.lot.security,
            quantity=Decimal(quantity), cost_basis=Decimal("900.00"),
            acquired_on=dt.date(2024, 5, 1),
        )  # fmt: skip


def snapshot(world, household, day, status="breached", account=None):
    with scopes_disabled():
        return DriftSnapshot.objects.create(
            firm=world.firm, kind="account" if account else "household",
            subject_id=account.pk if account else household.pk, household=household,
            account=account, model=world.model, as_of=day, status=status,
            market_value=Decimal("5000.00"), cash_value=Decimal("1000.00"),
            computed_at=timezone.now(),
        )  # fmt: skip


def test_positions_an_advisor_sees_their_book_and_filters_work(world_a, world_b, api):
    hidden = lot(world_a, world_a.other_account)
    advisor = api(world_a.advisor, token="read")
    rows = results(advisor.get(f"{BASE}/positions/"))
    assert [r["id"] for r in rows] == [world_a.lot.pk]
    assert rows[0]["household"] == world_a.household.pk and rows[0]["symbol"] == "VOO"
    assert advisor.get(f"{BASE}/positions/{hidden.pk}/").status_code == 404
    admin = api(world_a.admin)
    assert {r["id"] for r in results(admin.get(f"{BASE}/positions/"))} == {
        world_a.lot.pk,
        hidden.pk,
    }
    only = results(admin.get(f"{BASE}/positions/?household={world_a.other_household.pk}"))
    assert [r["id"] for r in only] == [hidden.pk]
    assert (
        results(admin.get(f"{BASE}/positions/?account={world_a.account.pk}"))[0]["id"]
        == world_a.lot.pk
    )
    assert admin.get(f"{BASE}/positions/?account=x").status_code == 400
    assert admin.get(f"{BASE}/positions/{world_b.lot.pk}/").status_code == 404
    assert results(admin.get(f"{BASE}/positions/?account={world_b.account.pk}")) == []
    assert api(world_a.client).get(f"{BASE}/positions/").status_code == 403
    assert admin.post(f"{BASE}/positions/", {}).status_code == 405


def test_models_with_targets_and_version_history(world_a, world_b, api):
    with scopes_disabled():
        ensure_live_version(world_a.model)
    client = api(world_a.compliance)
    rows = results(client.get(f"{BASE}/models/"))
    assert [m["name"] for m in rows] == [world_a.model.name]
    assert rows[0]["targets"][0]["asset_class"] == "us-large-cap"
    assert rows[0]["targets"][0]["weight"] == "100.0000"
    assert "versions" not in rows[0]
    detail = client.get(f"{BASE}/models/{world_a.model.pk}/").json()
    assert [(v["number"], v["state"]) for v in detail["versions"]] == [(1, "live")]
    assert client.get(f"{BASE}/models/{world_b.model.pk}/").status_code == 404
    assert results(client.get(f"{BASE}/models/?retired=true")) == []


def test_drift_latest_per_household_and_one_households_history(world_a, world_b, api):
    old = snapshot(world_a, world_a.household, dt.date(2025, 12, 30), "in_band")
    new = snapshot(world_a, world_a.household, dt.date(2025, 12, 31))
    other = snapshot(world_a, world_a.other_household, dt.date(2025, 12, 31))
    account = snapshot(world_a, world_a.household, dt.date(2025, 12, 31), account=world_a.account)
    snapshot(world_b, world_b.household, dt.date(2026, 1, 5))
    advisor = api(world_a.advisor)
    assert [r["id"] for r in results(advisor.get(f"{BASE}/drift-snapshots/"))] == [new.pk]
    admin = api(world_a.admin)
    assert {r["id"] for r in results(admin.get(f"{BASE}/drift-snapshots/"))} == {new.pk, other.pk}
    assert [r["id"] for r in results(admin.get(f"{BASE}/drift-snapshots/?kind=account"))] == [
        account.pk
    ]
    assert [r["id"] for r in results(admin.get(f"{BASE}/drift-snapshots/?as_of=2025-12-30"))] == [
        old.pk
    ]
    assert results(admin.get(f"{BASE}/drift-snapshots/?status=in_band")) == []
    history = results(
        admin.get(f"{BASE}/drift-snapshots/history/?household={world_a.household.pk}")
    )
    assert [r["as_of"] for r in history] == ["2025-12-31", "2025-12-30"]
    assert admin.get(f"{BASE}/drift-snapshots/history/").status_code == 400
    hidden = f"{BASE}/drift-snapshots/history/?household={world_a.other_household.pk}"
    assert results(advisor.get(hidden)) == []
    assert (
        results(admin.get(f"{BASE}/drift-snapshots/history/?household={world_b.household.pk}"))
        == []
    )
    assert advisor.get(f"{BASE}/drift-snapshots/{other.pk}/").status_code == 404


LINES = [
    {"asset_class": "us-large-cap", "weight": "70", "preferred_security": "VOO"},
    {"asset_class": "fixed-income", "weight": "30", "abs_band": "3", "rel_band": "20"},
]


def test_create_and_publish_models_through_the_version_service(world_a, world_b, api, bnd):
    client = api(world_a.advisor, token="write")
    body = {"name": "Balanced 70/30", "lines": LINES}
    made = client.post(f"{BASE}/models/", body, content_type="application/json")
    assert made.status_code == 201, made.content
    model = made.json()
    assert (model["version"], [v["state"] for v in model["versions"]]) == (1, ["live"])
    assert [(t["asset_class"], t["weight"]) for t in model["targets"]] == [
        ("us-large-cap", "70.0000"), ("fixed-income", "30.0000"),
    ]  # fmt: skip
    bad = client.post(
        f"{BASE}/models/",
        {"name": "Off", "lines": [{**LINES[0], "weight": "90"}, {**LINES[1], "security": "NOPE"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "lines.1.security" in bad.json()["errors"]
    over = client.post(
        f"{BASE}/models/", {"name": "Off", "lines": [{**LINES[0], "weight": "90"}]},
        content_type="application/json",
    )  # fmt: skip
    assert over.status_code == 400 and "100%" in str(over.json()["errors"])

    url = f"{BASE}/models/{model['id']}/publish/"
    lines = [{**LINES[0], "weight": "60"}, {**LINES[1], "weight": "40"}]
    published = client.post(
        url, {"version": 1, "summary": "More bonds", "lines": lines},
        content_type="application/json",
    )  # fmt: skip
    assert published.status_code == 200, published.content
    assert published.json()["version"] == 2
    assert [v["state"] for v in published.json()["versions"]] == ["live", "superseded"]
    stale = client.post(
        url, {"version": 1, "summary": "Again", "lines": lines}, content_type="application/json"
    )
    assert stale.status_code == 409
    for who in (api(world_a.compliance), api(world_a.admin, token="read")):
        assert who.post(f"{BASE}/models/", body, content_type="application/json").status_code == 403
    theirs = f"{BASE}/models/{world_b.model.pk}/publish/"
    refused = api(world_a.admin).post(
        theirs, {"version": 1, "summary": "x", "lines": lines}, content_type="application/json"
    )
    assert refused.status_code == 404
    with scopes_disabled():
        assert list(
            AuditEvent.objects.filter(
                action__in=["modelportfolio.created", "model_version.published"],
                firm=world_a.firm,
            ).order_by("seq").values_list("action", flat=True)
        ) == ["modelportfolio.created", "model_version.published"]  # fmt: skip
