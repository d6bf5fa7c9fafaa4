"""The disclosure pages: who may open them, what they show, what a POST writes."""

from __future__ import annotations

import pytest

from advisory import audit_actions as actions
from advisory.tenancy import firm_scope
from reports.models import DisclosureVersion
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def methodology(world_a):
    return factories.disclosure(
        world_a.firm,
        "methodology",
        "Methodology",
        "Prices are closing prices.\nBands are 5/25.",
        LATEST,
        author=world_a.admin.user,
        approver=world_a.compliance.user,
    )


@pytest.fixture
def draft(world_a, methodology):
    """Version 3 of the methodology, written by the admin, not yet approved."""
    with firm_scope(world_a.firm):
        return DisclosureVersion.objects.create(
            firm=world_a.firm,
            disclosure=methodology,
            number=3,
            text="A newer wording.",
            author=world_a.admin.user,
        )


def written(world) -> list:
    """The firm's audit events other than sign-ins (logging in is an event too)."""
    return [e for e in factories.firm_events(world.firm) if not e.action.startswith("auth.")]


def versions_of(world, disclosure) -> list[DisclosureVersion]:
    with firm_scope(world.firm):
        return list(DisclosureVersion.objects.filter(disclosure=disclosure).order_by("number"))


@pytest.mark.parametrize("persona", ["admin", "compliance"])
def test_list_shows_current_version_and_pending_draft(world_a, draft, login, persona):
    body = login(getattr(world_a, persona)).get("/disclosures/").content.decode()
    assert "Methodology" in body
    assert "v2" in body  # current approved
    assert "v3 awaits approval" in body
    # The household report still lacks three disclosures, named.
    assert "asset-class-risks" in body and "past-performance" in body


@pytest.mark.parametrize("persona", ["admin", "compliance"])
def test_history_shows_every_version_and_a_diff(world_a, methodology, login, persona):
    response = login(getattr(world_a, persona)).get(f"/disclosures/{methodology.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Version 1" in body and "Version 2" in body
    assert world_a.compliance.user.email in body and world_a.admin.user.email in body
    removed = '<li class="diff-line diff-removed"><span class="visually-hidden">removed: </span>'
    added = '<li class="diff-line diff-added"><span class="visually-hidden">added: </span>'
    assert f"{removed}Bands are 5/25.</li>" in body
    assert f"{added}Stale prices are marked.</li>" in body
    assert '<li class="diff-line diff-same">Prices are closing prices.</li>' in body


@pytest.mark.parametrize("persona", ["advisor", "client"])
def test_advisors_and_clients_are_refused(world_a, methodology, draft, login, persona):
    client = login(getattr(world_a, persona))
    for path in (
        "/disclosures/",
        "/disclosures/new/",
        f"/disclosures/{methodology.pk}/",
        f"/disclosures/{methodology.pk}/edit/",
        f"/disclosures/versions/{draft.pk}/approve/",
    ):
        assert client.get(path).status_code == 403, path
        assert client.post(path, {"text": "x", "confirm": "on"}).status_code == 403, path
    assert len(versions_of(world_a, methodology)) == 3
    assert written(world_a) == []


def test_another_firms_disclosure_is_a_404(world_a, world_b, login):
    b = factories.disclosure(
        world_b.firm, "not-advice", "ZetaSecret", "Zeta text", author=world_b.admin.user
    )
    b_version = versions_of(world_b, b)[0]
    client = login(world_a.compliance)
    assert client.get(f"/disclosures/{b.pk}/").status_code == 404
    assert client.get(f"/disclosures/{b.pk}/edit/").status_code == 404
    assert client.post(f"/disclosures/{b.pk}/edit/", {"text": "Mine"}).status_code == 404
    approve = f"/disclosures/versions/{b_version.pk}/approve/"
    assert client.post(approve, {"confirm": "on"}).status_code == 404
    assert versions_of(world_b, b)[0].approved_at is None
    assert len(versions_of(world_b, b)) == 1


def test_edit_is_prefilled_and_its_post_proposes_a_version(world_a, methodology, login):
    client = login(world_a.admin)
    page = client.get(f"/disclosures/{methodology.pk}/edit/").content.decode()
    assert "Stale prices are marked." in page
    response = client.post(f"/disclosures/{methodology.pk}/edit/", {"text": "New methodology."})
    assert response.status_code == 302
    assert response["Location"] == f"/disclosures/{methodology.pk}/"
    versions = versions_of(world_a, methodology)
    assert [v.number for v in versions] == [1, 2, 3]
    assert versions[-1].text == "New methodology." and versions[-1].approved_at is None
    events = written(world_a)
    assert [e.action for e in events] == [actions.DISCLOSURE_VERSION_PROPOSED.code]
    assert events[0].changes["number"] == {"before": 2, "after": 3}


LATEST = "Prices are closing prices.\nBands are 5 points or 25%.\nStale prices are marked."


@pytest.mark.parametrize("text", ["", "  ", LATEST, LATEST.replace("\n", "\r\n")])
def test_edit_with_empty_or_unchanged_text_shows_a_field_error(world_a, methodology, login, text):
    response = login(world_a.compliance).post(
        f"/disclosures/{methodology.pk}/edit/", {"text": text}
    )
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert len(versions_of(world_a, methodology)) == 2
    assert written(world_a) == []


def test_create_page_creates_and_refuses_a_duplicate_key(world_a, methodology, login):
    client = login(world_a.admin)
    response = client.post("/disclosures/new/", {"key": "past-performance", "title": "Past"})
    assert response.status_code == 302
    assert [e.action for e in written(world_a)] == [actions.DISCLOSURE_CREATED.code]
    again = client.post("/disclosures/new/", {"key": "methodology", "title": "Again"})
    assert again.status_code == 200 and "already has" in again.content.decode()
    bad = client.post("/disclosures/new/", {"key": "Not a slug!", "title": ""})
    assert bad.status_code == 200 and 'class="field-error"' in bad.content.decode()
    assert len(written(world_a)) == 1


def test_compliance_approves_with_the_confirmation(world_a, draft, login):
    # Approving needs a second factor from the last few minutes (step-up).
    client = factories.stepped_up(login(world_a.compliance), world_a.compliance.user)
    path = f"/disclosures/versions/{draft.pk}/approve/"
    page = client.get(path).content.decode()
    assert "A newer wording." in page and 'name="confirm"' in page
    unconfirmed = client.post(path, {})
    assert unconfirmed.status_code == 200
    assert "Tick the box" in unconfirmed.content.decode()
    assert written(world_a) == []
    response = client.post(path, {"confirm": "on"})
    assert response.status_code == 302
    with firm_scope(world_a.firm):
        draft.refresh_from_db()
    assert draft.approved_by_id == world_a.compliance.user.pk
    events = written(world_a)
    assert [e.action for e in events] == [actions.DISCLOSURE_VERSION_APPROVED.code]
    assert events[0].changes["current_version"] == {"before": 2, "after": 3}


def test_an_admin_cannot_approve_and_the_refusal_is_audited(world_a, draft, login):
    client = login(world_a.admin)
    path = f"/disclosures/versions/{draft.pk}/approve/"
    assert 'name="confirm"' not in client.get(path).content.decode()
    response = client.post(path, {"confirm": "on"})
    assert response.status_code == 403
    assert "Only a compliance officer" in response.content.decode()
    with firm_scope(world_a.firm):
        draft.refresh_from_db()
    assert draft.approved_at is None
    events = written(world_a)
    assert [e.action for e in events] == [actions.DISCLOSURE_REFUSED.code]


def test_compliance_cannot_approve_their_own_version(world_a, methodology, login):
    client = factories.stepped_up(login(world_a.compliance), world_a.compliance.user)
    client.post(f"/disclosures/{methodology.pk}/edit/", {"text": "Compliance's own words."})
    own = versions_of(world_a, methodology)[-1]
    response = client.post(f"/disclosures/versions/{own.pk}/approve/", {"confirm": "on"})
    assert response.status_code == 403
    assert "You wrote this version" in response.content.decode()
    assert [e.action for e in written(world_a)] == [
        actions.DISCLOSURE_VERSION_PROPOSED.code,
        actions.DISCLOSURE_REFUSED.code,
    ]


@pytest.mark.parametrize("persona", ["admin", "compliance"])
def test_nav_links_disclosures_for_admin_and_compliance(world_a, login, persona):
    assert (
        'href="/disclosures/"'
        in login(getattr(world_a, persona)).get("/disclosures/").content.decode()
    )


def test_nav_hides_disclosures_from_advisors(world_a, login):
    assert 'href="/disclosures/"' not in login(world_a.advisor).get("/").content.decode()
