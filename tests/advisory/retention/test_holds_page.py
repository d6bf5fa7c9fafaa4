"""The legal holds page: compliance officers and firm admins place and release holds (each
audited); advisors and clients are refused."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from advisory.models import LegalHold
from tests.factories import firm_events


@pytest.mark.parametrize("role", ["compliance", "admin"])
def test_compliance_and_admins_place_and_release_holds(role, world_a, login):
    member = getattr(world_a, role)
    client = login(member)
    assert client.get("/compliance/holds/").status_code == 200

    response = client.post("/compliance/holds/", {"household": "", "reason": "SEC inquiry"})
    assert response.status_code == 302
    response = client.post(
        "/compliance/holds/", {"household": world_a.household.pk, "reason": "Litigation"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        firm_hold, household_hold = LegalHold.objects.filter(firm=world_a.firm).order_by("pk")
        assert firm_hold.household is None and household_hold.household == world_a.household
    assert firm_hold.placed_by == member.user and firm_hold.active

    page = client.get("/compliance/holds/").content.decode()
    assert "The whole firm" in page and "Litigation" in page and world_a.household.name in page

    response = client.post(f"/compliance/holds/{firm_hold.pk}/release/", {"reason": "Closed"})
    assert response.status_code == 302
    with scopes_disabled():
        firm_hold.refresh_from_db()
    assert not firm_hold.active
    assert (firm_hold.released_by, firm_hold.release_reason) == (member.user, "Closed")

    placed = firm_events(world_a.firm, "legal_hold.placed")
    released = firm_events(world_a.firm, "legal_hold.released")
    assert len(placed) == 2 and len(released) == 1
    assert placed[0].actor == member.user and placed[0].changes["reason"] == "SEC inquiry"
    assert placed[0].changes["scope"] == "firm"
    assert placed[1].changes["household"] == world_a.household.pk
    assert released[0].object_id == str(firm_hold.pk)
    assert released[0].changes["reason"] == "Closed"


def test_a_release_needs_a_reason_and_happens_once(world_a, login):
    client = login(world_a.compliance)
    client.post("/compliance/holds/", {"reason": "Inquiry"})
    with scopes_disabled():
        hold = LegalHold.objects.get(firm=world_a.firm)
    client.post(f"/compliance/holds/{hold.pk}/release/", {"reason": "  "})
    with scopes_disabled():
        hold.refresh_from_db()
    assert hold.active
    client.post(f"/compliance/holds/{hold.pk}/release/", {"reason": "Done"})
    client.post(f"/compliance/holds/{hold.pk}/release/", {"reason": "Again"})
    with scopes_disabled():
        hold.refresh_from_db()
    assert hold.release_reason == "Done"
    assert len(firm_events(world_a.firm, "legal_hold.released")) == 1


def test_a_hold_needs_a_reason_and_a_household_of_the_firm(world_a, world_b, login):
    client = login(world_a.admin)
    assert client.post("/compliance/holds/", {"reason": ""}).status_code == 400
    response = client.post("/compliance/holds/", {"household": world_b.household.pk, "reason": "x"})
    assert response.status_code == 400
    assert "ZetaSecret" not in response.content.decode()
    with scopes_disabled():
        assert not LegalHold.objects.exists()
    assert not firm_events(world_a.firm, "legal_hold.placed")


@pytest.mark.parametrize("role", ["advisor", "client"])
def test_advisors_and_clients_are_refused(role, world_a, login):
    client = login(getattr(world_a, role))
    assert client.get("/compliance/holds/").status_code == 403
    assert client.post("/compliance/holds/", {"reason": "x"}).status_code == 403
    with scopes_disabled():
        hold = LegalHold.objects.create(
            firm=world_a.firm, reason="kept", placed_by=world_a.admin.user
        )
    assert client.post(f"/compliance/holds/{hold.pk}/release/", {"reason": "x"}).status_code == 403
    with scopes_disabled():
        hold.refresh_from_db()
    assert hold.active
