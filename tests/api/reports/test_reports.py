"""Archived reports through the API: the list with its filters and the PDF download, with the
page's rules (staff who can see the household) and its ``report.downloaded`` event."""

from __future__ import annotations

from django.test import Client
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from tests import factories
from tests.api.harness import bearer, make_token

BASE = "/api/v1"


def as_(membership, token: str | None = None) -> Client:
    client = Client()
    if token:
        client.defaults.update(bearer(make_token(membership, token)))
        return client
    return factories.log_in(client, membership.user)


def test_list_filter_and_download(world_a, world_b):
    november = factories.stored_report(world_a.household, month=11, released=False)
    december = factories.stored_report(world_a.household, month=12)
    hidden = factories.stored_report(world_a.other_household, month=12)
    theirs = factories.stored_report(world_b.household, month=12)
    advisor = as_(world_a.advisor, "read")
    rows = advisor.get(f"{BASE}/reports/").json()["results"]
    assert [r["id"] for r in rows] == [december.pk, november.pk]
    assert rows[0]["released_at"] and rows[1]["released_at"] is None
    assert [r["id"] for r in advisor.get(f"{BASE}/reports/?period=2025-11").json()["results"]] == [
        november.pk
    ]
    assert [r["id"] for r in advisor.get(f"{BASE}/reports/?released=true").json()["results"]] == [
        december.pk
    ]
    assert advisor.get(f"{BASE}/reports/?period=2025-13").status_code == 400
    admin = as_(world_a.admin)
    listed = admin.get(f"{BASE}/reports/?household={world_a.other_household.pk}").json()["results"]
    assert [r["id"] for r in listed] == [hidden.pk]

    response = advisor.get(f"{BASE}/reports/{december.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        f"report-{world_a.household.pk}-2025-12-{december.pk}.pdf"
        in response["Content-Disposition"]
    )
    # Read to the end: the test client then closes the file.
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.7 report of")
    with scopes_disabled():
        event = AuditEvent.objects.get(action="report.downloaded")
    assert (event.object_id, event.actor_id) == (str(december.pk), world_a.advisor.user_id)
    assert event.api_token_id is not None

    assert advisor.get(f"{BASE}/reports/{hidden.pk}/download/").status_code == 404
    assert admin.get(f"{BASE}/reports/{theirs.pk}/").status_code == 404
    assert admin.get(f"{BASE}/reports/{theirs.pk}/download/").status_code == 404
    compliance = as_(world_a.compliance).get(f"{BASE}/reports/{hidden.pk}/download/")
    assert compliance.status_code == 200
    assert b"".join(compliance.streaming_content)  # read to the end: the client closes it
    assert as_(world_a.client).get(f"{BASE}/reports/").status_code == 403
