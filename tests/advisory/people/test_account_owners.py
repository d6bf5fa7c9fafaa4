"""Account owners: shown on the account page, set on the account form (clients of the
account's household only), audited as an account edit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from advisory import audit_actions as actions
from advisory.models import Account, AccountOwner, AuditEvent, Client
from advisory.people.errors import Refused
from advisory.people.owners import set_account_owners
from advisory.tenancy import firm_scope
from tests import factories


def add_client(world, first: str, household=None) -> Client:
    with scopes_disabled():
        return Client.objects.create(
            firm=world.firm,
            household=household or world.household,
            first_name=first,
            last_name="Owner",
        )


def owners(account) -> set[int]:
    with firm_scope(account.firm_id):
        return set(AccountOwner.objects.filter(account=account).values_list("client_id", flat=True))


def form(world, owner_ids) -> dict:
    return {"name": world.account.name, "model": world.model.pk, "owners": owner_ids}


def test_owners_are_shown_on_the_account_page(world_a, login):
    body = login(world_a.advisor).get(f"/accounts/{world_a.account.pk}/").content.decode()
    assert "Owner" in body and "Alpha Client" in body


def test_advisor_sets_joint_owners_and_the_change_is_audited(world_a, login):
    spouse = add_client(world_a, "Sam")
    client = login(world_a.advisor)
    page = client.get(f"/accounts/{world_a.account.pk}/edit/").content.decode()
    assert "Sam Owner" in page
    response = client.post(
        f"/accounts/{world_a.account.pk}/edit/",
        form(world_a, [world_a.client_person.pk, spouse.pk]),
    )
    assert response.status_code == 302
    assert owners(world_a.account) == {world_a.client_person.pk, spouse.pk}
    with firm_scope(world_a.firm):
        (event,) = AuditEvent.objects.filter(action=actions.ACCOUNT_UPDATED.code)
    assert event.changes["owners"] == {
        "before": [world_a.client_person.pk],
        "after": sorted([world_a.client_person.pk, spouse.pk]),
    }
    assert event.changes["owner_names"]["after"] == ["Alpha Client", "Sam Owner"]
    assert event.actor == world_a.advisor.user
    body = client.get(f"/accounts/{world_a.account.pk}/").content.decode()
    assert "Owners" in body and "Sam Owner" in body


def test_unchanged_owners_write_no_event(world_a, login):
    client = login(world_a.advisor)
    client.post(f"/accounts/{world_a.account.pk}/edit/", form(world_a, [world_a.client_person.pk]))
    with firm_scope(world_a.firm):
        assert not AuditEvent.objects.filter(action=actions.ACCOUNT_UPDATED.code).exists()


def test_a_client_of_another_household_is_refused(world_a, login):
    neighbour = add_client(world_a, "Nell", household=world_a.other_household)
    client = login(world_a.advisor)
    response = client.post(
        f"/accounts/{world_a.account.pk}/edit/",
        {**form(world_a, [neighbour.pk]), "name": "Renamed"},
    )
    assert response.status_code == 200
    assert "must be clients of its household" in response.content.decode()
    assert owners(world_a.account) == {world_a.client_person.pk}
    with firm_scope(world_a.firm):
        assert not AuditEvent.objects.filter(action=actions.ACCOUNT_UPDATED.code).exists()
        assert Account.objects.get(pk=world_a.account.pk).name == "Alpha Brokerage"


def test_another_firms_client_is_refused(world_a, world_b, login):
    client = login(world_a.advisor)
    response = client.post(
        f"/accounts/{world_a.account.pk}/edit/", form(world_a, [world_b.client_person.pk])
    )
    assert response.status_code == 200
    assert "must be clients of its household" in response.content.decode()
    assert owners(world_a.account) == {world_a.client_person.pk}


def test_an_account_keeps_at_least_one_owner(world_a, login):
    client = login(world_a.advisor)
    response = client.post(f"/accounts/{world_a.account.pk}/edit/", form(world_a, []))
    assert response.status_code == 200 and "at least one owner" in response.content.decode()
    assert owners(world_a.account) == {world_a.client_person.pk}


def test_the_service_refuses_a_stranger_and_writes_nothing(world_a):
    neighbour = add_client(world_a, "Nell", household=world_a.other_household)
    with pytest.raises(Refused, match="not a client of the Alpha Household household"):
        set_account_owners(firm=world_a.firm, account=world_a.account, clients=[neighbour])
    assert owners(world_a.account) == {world_a.client_person.pk}


def test_an_edit_that_keeps_the_owners_records_only_the_field_change(world_a, login):
    """What tests/advisory/test_change_audit.py's account edit posts, owners included."""
    client = login(world_a.advisor)
    client.post(
        f"/accounts/{world_a.account.pk}/edit/",
        {**form(world_a, [world_a.client_person.pk]), "fractional_allowed": "on"},
    )
    with firm_scope(world_a.firm):
        (event,) = AuditEvent.objects.filter(action=actions.ACCOUNT_UPDATED.code)
    assert event.changes == {"fractional_allowed": {"before": False, "after": True}}


def test_the_household_page_reads_owners_in_a_fixed_number_of_queries(world_a, client):
    """Owners are prefetched: more accounts with owners add no query to the household page."""
    factories.log_in(client, world_a.advisor.user)
    path = f"/households/{world_a.household.pk}/"
    client.get(path)  # warm (the MFA grace start, caches)
    with CaptureQueriesContext(connection) as one:
        assert client.get(path).status_code == 200
    spouse = add_client(world_a, "Sam")
    with scopes_disabled():
        for n in range(3):
            extra = Account.objects.create(
                firm=world_a.firm,
                household=world_a.household,
                name=f"Extra {n}",
                registration="joint",
                tax_status="taxable",
                custodian="schwab",
                account_number=f"EXTRA-{n:04d}",
            )
            for person in (world_a.client_person, spouse):
                AccountOwner.objects.create(firm=world_a.firm, account=extra, client=person)
    with CaptureQueriesContext(connection) as four:
        response = client.get(path)
    assert response.status_code == 200
    assert "Sam" in response.content.decode()
    assert len(four) == len(one), [q["sql"][:120] for q in four.captured_queries]
