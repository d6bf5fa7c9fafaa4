"""Who sees what inside one firm."""

from __future__ import annotations

import pytest

from advisory.access import households_for
from advisory.tenancy import firm_scope


def visible(membership):
    with firm_scope(membership.firm):
        return set(households_for(membership).values_list("name", flat=True))


def test_advisor_sees_primary_and_team_households_only(world_a):
    assert visible(world_a.advisor) == {"Alpha Household", "Alpha Team Household"}


def test_other_advisor_sees_their_own(world_a):
    assert visible(world_a.other_advisor) == {"Alpha Other Household", "Alpha Team Household"}


@pytest.mark.parametrize("role", ["admin", "compliance"])
def test_admin_and_compliance_see_the_whole_firm(world_a, world_b, role):
    assert visible(getattr(world_a, role)) == {
        "Alpha Household",
        "Alpha Other Household",
        "Alpha Team Household",
    }


def test_client_sees_only_their_household(world_a):
    assert visible(world_a.client) == {"Alpha Household"}


def test_advisor_gets_404_for_a_colleagues_household(world_a, login):
    client = login(world_a.advisor)
    assert client.get(f"/households/{world_a.other_household.pk}/").status_code == 404
    assert client.get(f"/accounts/{world_a.other_account.pk}/").status_code == 404
    assert client.get(f"/households/{world_a.team_household.pk}/").status_code == 200


def test_client_portal_lands_on_their_household(world_a, login):
    client = login(world_a.client)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == f"/households/{world_a.household.pk}/"
    assert "Alpha Household" in response.content.decode()
    assert client.get(f"/households/{world_a.other_household.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["compliance", "client"])
def test_read_only_roles_cannot_edit(world_a, login, role):
    client = login(getattr(world_a, role))
    url = f"/households/{world_a.household.pk}/edit/"
    assert client.post(url, {"name": "Renamed"}).status_code == 403
    with firm_scope(world_a.firm):
        world_a.household.refresh_from_db()
    assert world_a.household.name == "Alpha Household"


def test_compliance_lands_on_the_compliance_home(world_a, login):
    response = login(world_a.compliance).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/compliance/"


def test_advisor_home_lists_only_their_book(world_a, login):
    body = login(world_a.advisor).get("/").content.decode()
    assert "Alpha Household" in body
    assert "Alpha Team Household" in body
    assert "Alpha Other Household" not in body


def test_holdings_are_valued_at_the_latest_price(world_a, login):
    body = login(world_a.advisor).get(f"/accounts/{world_a.account.pk}/").content.decode()
    # 10 VOO × 512.34 (2025-12-31, the later of the two prices)
    assert "5,123.40" in body
    assert "512.34" in body
