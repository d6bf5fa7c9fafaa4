"""Changes through the UI and the admin each leave exactly one audit event."""

from __future__ import annotations

import pytest

from advisory.models import AccountOwner, AuditEvent, Client
from advisory.tenancy import firm_scope


def new_events(firm, after_seq=0, prefix=""):
    with firm_scope(firm):
        qs = AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq")
        return [e for e in qs if e.action.startswith(prefix)]


def last_seq(firm):
    with firm_scope(firm):
        event = AuditEvent.objects.order_by("-seq").first()
    return event.seq if event else 0


def test_household_edit_in_the_ui_records_before_and_after(world_a, login):
    client = login(world_a.advisor)
    start = last_seq(world_a.firm)
    response = client.post(
        f"/households/{world_a.household.pk}/edit/",
        {"name": "Alpha Household Renamed", "primary_advisor": world_a.advisor.pk, "model": ""},
    )
    assert response.status_code == 302
    changes = new_events(world_a.firm, start, "household.updated")
    assert len(changes) == 1
    event = changes[0]
    assert event.changes == {
        "name": {"before": "Alpha Household", "after": "Alpha Household Renamed"},
        "model": {"before": world_a.model.pk, "after": None},
    }
    assert event.actor_id == world_a.advisor.user_id
    assert event.role == "advisor"
    assert event.object_id == str(world_a.household.pk)
    assert event.request_id


def test_an_edit_that_changes_nothing_records_nothing(world_a, login):
    client = login(world_a.advisor)
    start = last_seq(world_a.firm)
    client.post(
        f"/households/{world_a.household.pk}/edit/",
        {
            "name": "Alpha Household",
            "primary_advisor": world_a.advisor.pk,
            "model": world_a.model.pk,
        },
    )
    assert new_events(world_a.firm, start, "household.updated") == []


def test_account_edit_in_the_ui(world_a, login):
    client = login(world_a.advisor)
    start = last_seq(world_a.firm)
    client.post(
        f"/accounts/{world_a.account.pk}/edit/",
        {
            "name": "Alpha Brokerage",
            "model": world_a.model.pk,
            "fractional_allowed": "on",
            "owners": [world_a.client_person.pk],
        },
    )
    (event,) = new_events(world_a.firm, start, "account.updated")
    assert event.changes == {"fractional_allowed": {"before": False, "after": True}}


def test_a_form_with_another_firms_id_is_rejected(world_a, world_b, login):
    client = login(world_a.advisor)
    start = last_seq(world_a.firm)
    response = client.post(
        f"/households/{world_a.household.pk}/edit/",
        {"name": "x", "primary_advisor": world_b.advisor.pk, "model": world_b.model.pk},
    )
    assert response.status_code == 200  # the form again, with field errors
    assert "Select a valid choice" in response.content.decode()
    assert new_events(world_a.firm, start, "household.") == []


def test_admin_change_records_one_event(world_a, login):
    client = login(world_a.admin)
    start = last_seq(world_a.firm)
    response = client.post(
        f"/admin/advisory/account/{world_a.account.pk}/change/",
        {
            "household": world_a.household.pk,
            "name": "Alpha Brokerage",
            "registration": "joint",
            "tax_status": "taxable",
            "custodian": "schwab",
            "account_number": "ALPHA-1001",
            "model": world_a.model.pk,
            "cash_balance": "2500.10",
            # The owners inline, unchanged: its management form, no rows.
            "ownerships-TOTAL_FORMS": "0",
            "ownerships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    events = [e for e in new_events(world_a.firm, start) if not e.action.startswith("auth.")]
    assert [e.action for e in events] == ["account.updated"]
    assert events[0].changes == {
        "registration": {"before": "individual", "after": "joint"},
        "cash_balance": {"before": "1000.00", "after": "2500.10"},
    }


def test_admin_create_and_delete_record_one_event_each(world_a, login):
    # Model portfolios are read-only in the admin (versions are kept by the model pages:
    # tests/portfolios/model_versions/test_pages.py), so a client record makes the round trip.
    client = login(world_a.admin)
    start = last_seq(world_a.firm)
    form = {
        "household": world_a.household.pk,
        "first_name": "Ada",
        "last_name": "Admin-Made",
        "email": "",
    }
    response = client.post("/admin/advisory/client/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    actions = [
        e.action for e in new_events(world_a.firm, start) if not e.action.startswith("auth.")
    ]
    assert actions == ["client.created"]
    with firm_scope(world_a.firm):
        made = Client.objects.get(last_name="Admin-Made")
        assert made.firm_id == world_a.firm.pk
    start = last_seq(world_a.firm)
    client.post(f"/admin/advisory/client/{made.pk}/delete/", {"post": "yes"})
    (event,) = [e for e in new_events(world_a.firm, start) if not e.action.startswith("auth.")]
    assert event.action == "client.deleted"
    assert event.changes["last_name"] == {"before": "Admin-Made", "after": None}


def test_household_view_is_audited_as_a_sensitive_read(world_a, login):
    client = login(world_a.advisor)
    start = last_seq(world_a.firm)
    client.get(f"/households/{world_a.household.pk}/")
    (event,) = new_events(world_a.firm, start, "household.viewed")
    assert event.actor_id == world_a.advisor.user_id
    assert event.role == "advisor"


def test_a_clients_portal_view_is_audited_as_a_sensitive_read(world_a, login):
    client = login(world_a.client)
    start = last_seq(world_a.firm)
    client.get("/portal/")
    (event,) = new_events(world_a.firm, start, "portal.viewed")
    assert event.actor_id == world_a.client.user_id
    assert event.role == "client"


# --- Account owners, edited inline on the account's admin page --------------------------------


def _account_form(world, owner_rows: list[dict]) -> dict:
    form = {
        "household": world.household.pk,
        "name": "Alpha Brokerage",
        "registration": "individual",
        "tax_status": "taxable",
        "custodian": "schwab",
        "account_number": "ALPHA-1001",
        "model": world.model.pk,
        "cash_balance": "1000.00",
        "ownerships-TOTAL_FORMS": str(len(owner_rows)),
        "ownerships-INITIAL_FORMS": "0",
    }
    for i, row in enumerate(owner_rows):
        form.update({f"ownerships-{i}-{key}": value for key, value in row.items()})
    return form


def _owner_count(world) -> int:
    with firm_scope(world.firm):
        return AccountOwner.objects.count()


def test_admin_adds_an_owner_from_the_household_audited(world_a, login):
    with firm_scope(world_a.firm):
        spouse = Client.objects.create(
            firm=world_a.firm, household=world_a.household, first_name="Sam", last_name="Client"
        )
    client = login(world_a.admin)
    start = last_seq(world_a.firm)
    url = f"/admin/advisory/account/{world_a.account.pk}/change/"
    response = client.post(url, _account_form(world_a, [{"client": spouse.pk}]))
    assert response.status_code == 302, response.content.decode()[:2000]
    (event,) = new_events(world_a.firm, start, "accountowner.created")
    assert event.changes["client"]["after"] == spouse.pk


@pytest.mark.parametrize("who", ["other_household_client", "existing_owner", "twice"])
def test_admin_refuses_a_wrong_owner_with_a_message(who, world_a, login):
    with firm_scope(world_a.firm):
        stranger = Client.objects.create(
            firm=world_a.firm, household=world_a.other_household, first_name="Ann", last_name="X"
        )
        spouse = Client.objects.create(
            firm=world_a.firm, household=world_a.household, first_name="Sam", last_name="Client"
        )
    rows = {
        "other_household_client": [{"client": stranger.pk}],
        "existing_owner": [{"client": world_a.client_person.pk}],
        "twice": [{"client": spouse.pk}, {"client": spouse.pk}],
    }[who]
    before = _owner_count(world_a)
    client = login(world_a.admin)
    url = f"/admin/advisory/account/{world_a.account.pk}/change/"
    response = client.post(url, _account_form(world_a, rows))
    assert response.status_code == 200
    body = response.content.decode()
    assert any(
        message in body
        for message in ("clients of its household", "already owns", "own an account once")
    )
    assert _owner_count(world_a) == before


def test_admin_reads_are_audited(world_a, login):
    client = login(world_a.admin)
    start = last_seq(world_a.firm)
    assert (
        client.get(f"/admin/advisory/household/{world_a.household.pk}/change/").status_code == 200
    )
    assert client.get("/admin/advisory/account/").status_code == 200
    viewed = new_events(world_a.firm, start, "admin.viewed")
    assert [(e.object_type, e.object_id) for e in viewed] == [
        ("advisory.household", str(world_a.household.pk))
    ]
    (listed,) = new_events(world_a.firm, start, "admin.listed")
    assert listed.object_type == "advisory.account"
    assert sorted(listed.changes["ids"]) == sorted([world_a.account.pk, world_a.other_account.pk])
