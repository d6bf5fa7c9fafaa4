"""The API shows exactly what the pages show: another firm's ids are 404, an advisor sees
only their book, compliance reads but never writes, the audit trail is compliance's only."""

from __future__ import annotations

import pytest

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/households/{w.household.pk}/",
        "/api/v1/accounts/{w.account.pk}/",
        "/api/v1/clients/{w.client_person.pk}/",
        "/api/v1/firms/{w.firm.pk}/",
    ],
)
def test_another_firms_object_is_a_404(world_a, world_b, path):
    client = bearer(make_token(world_a.admin))
    assert client.get(path.format(w=world_a)).status_code == 200
    response = client.get(path.format(w=world_b))
    assert response.status_code == 404
    assert response.json()["errors"] == {} and response.json()["detail"]
    assert "ZetaSecret" not in response.content.decode()


def test_lists_never_show_another_firm(world_a, world_b):
    client = bearer(make_token(world_a.admin))
    for path in ("households", "accounts", "clients", "firms"):
        body = client.get(f"/api/v1/{path}/").content.decode()
        assert "ZetaSecret" not in body and "zeta" not in body.lower(), path
    firms = client.get("/api/v1/firms/").json()
    assert [f["slug"] for f in firms] == ["alpha"]


def test_an_advisor_sees_only_their_book(world_a):
    client = bearer(make_token(world_a.advisor))
    names = {h["name"] for h in client.get("/api/v1/households/").json()["results"]}
    assert names == {"Alpha Household", "Alpha Team Household"}
    assert client.get(f"/api/v1/households/{world_a.other_household.pk}/").status_code == 404
    assert client.get(f"/api/v1/accounts/{world_a.other_account.pk}/").status_code == 404
    accounts = {a["name"] for a in client.get("/api/v1/accounts/").json()["results"]}
    assert accounts == {"Alpha Brokerage"}


def test_the_whole_firm_for_admins_and_compliance(world_a):
    for membership in (world_a.admin, world_a.compliance):
        client = bearer(make_token(membership, scope="read"))
        names = {h["name"] for h in client.get("/api/v1/households/").json()["results"]}
        assert names == {"Alpha Household", "Alpha Other Household", "Alpha Team Household"}


def test_accounts_come_with_owners_and_a_masked_number(world_a):
    client = bearer(make_token(world_a.advisor))
    account = client.get(f"/api/v1/accounts/{world_a.account.pk}/").json()
    assert account["owners"] == [{"id": world_a.client_person.pk, "name": "Alpha Client"}]
    assert account["account_number"] == "••••1001"
    assert account["cash_balance"] == "1000.00"
    assert "ALPHA-1001" not in str(account)


def test_compliance_reads_but_never_writes(world_a):
    # A compliance officer can only make a read-only token; even a session cannot write.
    from django.test import Client

    from tests import factories

    client = factories.log_in(Client(), world_a.compliance.user)
    assert client.get("/api/v1/households/").status_code == 200
    response = client.patch(
        f"/api/v1/households/{world_a.household.pk}/", {}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role is read-only here."


def test_audit_events_are_for_compliance_only(world_a):
    for membership in (world_a.admin, world_a.advisor):
        response = bearer(make_token(membership)).get("/api/v1/audit-events/")
        assert response.status_code == 403
    client = bearer(make_token(world_a.compliance, scope="read"))
    events = client.get("/api/v1/audit-events/").json()["results"]
    assert events and events[0]["action"] == "api_token.created"
    assert [e["seq"] for e in events] == sorted((e["seq"] for e in events), reverse=True)
    one = client.get(f"/api/v1/audit-events/{events[0]['id']}/").json()
    assert one["hash"] == events[0]["hash"]


def test_audit_events_filters_are_the_workspace_filters(world_a):
    advisor = make_token(world_a.advisor)
    bearer(advisor).get(f"/api/v1/households/{world_a.household.pk}/")
    client = bearer(make_token(world_a.compliance, scope="read"))

    def actions(**params):
        response = client.get("/api/v1/audit-events/", params)
        assert response.status_code == 200, response.content
        return [e["action"] for e in response.json()["results"]]

    assert actions(code="household.viewed") == ["household.viewed"]
    assert actions(category="read") == ["household.viewed"]
    assert actions(role="advisor") == ["household.viewed"]
    assert actions(role="compliance") == []
    assert actions(actor=str(world_a.advisor.user_id)) == ["household.viewed"]
    assert actions(token=advisor[:12]) == ["household.viewed"]
    assert actions(object_type="household", object_id=str(world_a.household.pk)) == [
        "household.viewed"
    ]
    assert actions(q="Alpha Household") == ["household.viewed"]
    bad = client.get("/api/v1/audit-events/", {"role": "pope", "date_from": "yesterday"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"role", "date_from"}
