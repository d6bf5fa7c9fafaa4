"""Who sees what inside one firm."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_scopes import scopes_disabled

from advisory.access import (
    accounts_for,
    clients_seeing_household,
    households_for,
    sees_whole_household,
)
from advisory.models import AccountOwner
from advisory.tenancy import firm_scope
from tests import factories


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


def test_client_lands_on_the_portal_not_the_staff_pages(world_a, login):
    client = login(world_a.client)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/portal/"
    assert "Alpha Household" in response.content.decode()
    assert client.get(f"/households/{world_a.household.pk}/").status_code == 403
    assert client.get(f"/accounts/{world_a.account.pk}/").status_code == 403


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


# --- Account owners: what a client sees of their household -----------------------------------


@pytest.fixture
def family(world_a):
    """Alpha Household gets a second client with a portal login and an account of their own."""
    sam = factories.spouse(world_a)
    return sam.membership, sam.client, sam.ira


def names(membership):
    with firm_scope(membership.firm):
        return set(accounts_for(membership).values_list("name", flat=True))


def test_shared_household_shows_every_account_to_every_member(world_a, family):
    spouse_member, _, _ = family
    assert names(world_a.client) == names(spouse_member) == {"Alpha Brokerage", "Sam Roth IRA"}
    with firm_scope(world_a.firm):
        assert sees_whole_household(world_a.client, world_a.household)
        recipients = {c.first_name for c in clients_seeing_household(world_a.household)}
    assert recipients == {"Alpha", "Sam"}


def test_unshared_household_shows_a_client_only_what_they_own(world_a, family):
    spouse_member, _, ira = family
    world_a.firm.portal_shares_household = False
    world_a.firm.save()
    with scopes_disabled():  # reloads by the unscoped base manager, past row-level security
        world_a.client.refresh_from_db()
        spouse_member.refresh_from_db()
    assert names(world_a.client) == {"Alpha Brokerage"}
    assert names(spouse_member) == {"Sam Roth IRA"}
    with firm_scope(world_a.firm):
        assert not sees_whole_household(world_a.client, world_a.household)
        assert clients_seeing_household(world_a.household) == []
        # Owning every account of the household shows all of it again.
        AccountOwner.objects.create(firm=world_a.firm, account=ira, client=world_a.client_person)
        assert sees_whole_household(world_a.client, world_a.household)
        recipients = [c.first_name for c in clients_seeing_household(world_a.household)]
    assert recipients == ["Alpha"]


def test_staff_see_accounts_whatever_the_owners(world_a, family):
    world_a.firm.portal_shares_household = False
    world_a.firm.save()
    with scopes_disabled():  # reloads by the unscoped base manager, past row-level security
        world_a.advisor.refresh_from_db()
    assert names(world_a.advisor) == {"Alpha Brokerage", "Sam Roth IRA"}


def test_an_owner_must_be_a_client_of_the_accounts_household(world_a):
    with firm_scope(world_a.firm):
        owner = AccountOwner(
            firm=world_a.firm, account=world_a.other_account, client=world_a.client_person
        )
        with pytest.raises(ValidationError, match="clients of its household"):
            owner.full_clean()
