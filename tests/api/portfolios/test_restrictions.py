"""Restrictions: listed for staff, added and lifted by advisors and admins through the
restriction service (audited), never by compliance or a read-only token."""

from __future__ import annotations

from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from portfolios.models import Restriction
from portfolios.restrictions.lists import add_restriction
from tests.api.portfolios.helpers import BASE, results


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_add_list_and_lift(world_a, api, voo):
    client = api(world_a.advisor, token="write")
    made = post(client, f"{BASE}/restrictions/",
                {"symbol": "voo", "side": "buy", "reason": "Employer stock",
                 "household": world_a.household.pk})  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["symbol"], body["scope"], body["household"]) == (
        "VOO",
        "household",
        world_a.household.pk,
    )
    duplicate = post(client, f"{BASE}/restrictions/",
                     {"symbol": "VOO", "side": "buy", "reason": "again",
                      "household": world_a.household.pk})  # fmt: skip
    assert duplicate.status_code == 400
    firm_wide = post(
        client, f"{BASE}/restrictions/", {"symbol": "VOO", "side": "sell", "reason": "Firm"}
    )
    assert firm_wide.status_code == 201 and firm_wide.json()["scope"] == "firm"
    listed = results(api(world_a.compliance).get(f"{BASE}/restrictions/?scope=household"))
    assert [r["id"] for r in listed] == [body["id"]]
    assert post(client, f"{BASE}/restrictions/{body['id']}/lift/", {}).status_code == 400
    lifted = post(client, f"{BASE}/restrictions/{body['id']}/lift/", {"reason": "Left the job"})
    assert lifted.status_code == 200 and lifted.json()["lifted_at"]
    assert [r["id"] for r in results(client.get(f"{BASE}/restrictions/?lifted=true"))] == [
        body["id"]
    ]
    with scopes_disabled():
        actions = list(AuditEvent.objects.filter(action__startswith="restriction.")
                       .order_by("seq").values_list("action", flat=True))  # fmt: skip
    assert actions == ["restriction.added", "restriction.added", "restriction.lifted"]


def test_who_may_not_and_what_is_hidden(world_a, world_b, api, voo):
    with scopes_disabled():
        hidden = add_restriction(
            firm=world_a.firm,
            actor=world_a.admin.user,
            symbol="VOO",
            side="buy",
            reason="x",
            household=world_a.other_household,
        )
        theirs = add_restriction(firm=world_b.firm, actor=world_b.admin.user, symbol="VOO",
                                 side="buy", reason="x")  # fmt: skip
    body = {"symbol": "VOO", "side": "sell", "reason": "r", "household": world_a.household.pk}
    for who in (api(world_a.compliance), api(world_a.advisor, token="read")):
        assert post(who, f"{BASE}/restrictions/", body).status_code == 403
        assert (
            post(who, f"{BASE}/restrictions/{hidden.pk}/lift/", {"reason": "r"}).status_code == 403
        )
    advisor = api(world_a.advisor)
    assert advisor.get(f"{BASE}/restrictions/{hidden.pk}/").status_code == 404
    assert (
        post(advisor, f"{BASE}/restrictions/{hidden.pk}/lift/", {"reason": "r"}).status_code == 404
    )
    other = {**body, "household": world_a.other_household.pk}
    assert post(advisor, f"{BASE}/restrictions/", other).status_code == 404
    admin = api(world_a.admin)
    assert admin.get(f"{BASE}/restrictions/{theirs.pk}/").status_code == 404
    assert (
        post(
            admin, f"{BASE}/restrictions/", {**body, "household": world_b.household.pk}
        ).status_code
        == 404
    )
    assert results(admin.get(f"{BASE}/restrictions/")) == [
        admin.get(f"{BASE}/restrictions/{hidden.pk}/").json()
    ]
    with scopes_disabled():
        assert Restriction.objects.filter(lifted_at__isnull=False).count() == 0
