"""Securities and prices: shared reads, a firm's manual prices for its admins only, and the
shared price file for platform operators only (as the Imports page)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Price
from tests.api.portfolios.helpers import BASE, results
from tests.factories import AS_OF


def test_securities_list_filter_and_detail(world_a, api, voo, bnd):
    client = api(world_a.compliance, token="read")
    assert [s["symbol"] for s in results(client.get(f"{BASE}/securities/"))] == ["BND", "VOO"]
    only = results(client.get(f"{BASE}/securities/?symbol=voo"))
    assert only == [
        {"id": voo.pk, "symbol": "VOO", "name": voo.name, "security_type": voo.security_type,
         "asset_class": "us-large-cap"}
    ]  # fmt: skip
    assert client.get(f"{BASE}/securities/{bnd.pk}/").json()["symbol"] == "BND"
    assert client.post(f"{BASE}/securities/", {}).status_code in (403, 405)


def test_prices_filter_by_symbol_and_dates(world_a, api, voo):
    client = api(world_a.advisor)
    rows = results(client.get(f"{BASE}/prices/?symbol=VOO"))
    assert [(r["date"], r["close"]) for r in rows] == [
        (AS_OF.isoformat(), "512.340000"),
        ((AS_OF - dt.timedelta(days=1)).isoformat(), "500.000000"),
    ]  # fmt: skip
    rows = results(client.get(f"{BASE}/prices/?date_from={AS_OF}&date_to={AS_OF}"))
    assert [r["date"] for r in rows] == [AS_OF.isoformat()]
    assert client.get(f"{BASE}/prices/?date_from=yesterday").status_code == 400


def test_a_manual_price_is_for_admins_and_for_their_firm_only(world_a, world_b, api, voo):
    body = {"symbol": "VOO", "date": AS_OF.isoformat(), "close": "520.5"}
    for who in (world_a.advisor, world_a.compliance):
        assert (
            api(who).post(f"{BASE}/prices/", body, content_type="application/json").status_code
            == 403
        )
    assert (
        api(world_a.admin, token="read")
        .post(f"{BASE}/prices/", body, content_type="application/json")
        .status_code
        == 403
    )
    made = api(world_a.admin, token="write").post(
        f"{BASE}/prices/", body, content_type="application/json"
    )
    assert made.status_code == 201, made.content
    assert (made.json()["close"], made.json()["source"]) == ("520.500000", "manual:alpha")
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="price.entered", firm=world_a.firm).count() == 1
    # Firm B sees only the shared closes, never firm A's manual one.
    theirs = results(api(world_b.admin).get(f"{BASE}/prices/?symbol=VOO"))
    assert all(not r["source"].startswith("manual") for r in theirs)
    assert api(world_b.admin).get(f"{BASE}/prices/{made.json()['id']}/").status_code == 404
    bad = api(world_a.admin).post(
        f"{BASE}/prices/", {**body, "symbol": "NOPE"}, content_type="application/json"
    )
    assert bad.status_code == 400 and "symbol" in bad.json()["errors"]


def test_the_shared_price_file_is_for_operators_only(world_a, api, voo):
    content = f"symbol,date,close\nVOO,{AS_OF + dt.timedelta(days=1)},515.00\n".encode()
    url = f"{BASE}/prices/import/"
    refused = api(world_a.admin).post(url, {"file": SimpleUploadedFile("p.csv", content)})
    assert refused.status_code == 403
    operator = world_a.admin.user
    with scopes_disabled():
        operator.is_staff = True
        operator.save(update_fields=["is_staff"])
    client = api(world_a.admin)
    bad = client.post(
        url, {"file": SimpleUploadedFile("p.csv", b"symbol,date,close\nZZZ,2025-12-30,1\n")}
    )
    assert bad.status_code == 400 and "file" in bad.json()["errors"]
    done = client.post(url, {"file": SimpleUploadedFile("p.csv", content), "source": "vendor-x"})
    assert done.status_code == 200, done.content
    assert (done.json()["ok"], done.json()["written"]) == (True, 1)
    with scopes_disabled():
        assert Price.objects.filter(Q(source="vendor-x"), security=voo).count() == 1
        assert AuditEvent.objects.filter(action="prices.imported").count() == 1
