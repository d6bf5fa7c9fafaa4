"""The household page's Reports card: generate, release and download an archived report.

PostgreSQL and WeasyPrint; files go to a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from advisory.tenancy import firm_scope
from reports.models import ArchivedReport, ReportRelease
from reports.queries import default_report_month, last_complete_month
from tests import factories

PERIOD = "2025-12"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def desk(world_a, world_b):
    factories.approved_disclosures(
        world_a.firm, author=world_a.admin.user, approver=world_a.compliance.user
    )
    return world_a


def _reports(world) -> list[ArchivedReport]:
    with scopes_disabled():
        return list(ArchivedReport.objects.filter(firm=world.firm).order_by("pk"))


def _generate(client, world, period=PERIOD):
    return client.post(
        f"/households/{world.household.pk}/reports/generate/", {"period": period}, follow=True
    )


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.parametrize("persona", ["admin", "advisor"])
def test_admin_and_advisor_generate_then_release(persona, desk, login):
    client = login(getattr(desk, persona))
    response = _generate(client, desk)
    assert response.status_code == 200
    (report,) = _reports(desk)
    assert report.period_start == dt.date(2025, 12, 1)
    assert report.period_end == dt.date(2025, 12, 31)
    assert report.generated_by == getattr(desk, persona).user
    body = response.content.decode()
    assert f"/reports/{report.pk}/download/" in body
    assert f"/reports/{report.pk}/release/" in body
    assert "not released" in body

    response = client.post(f"/reports/{report.pk}/release/", follow=True)
    assert "released to the client" in _messages(response)
    assert f"/reports/{report.pk}/release/" not in response.content.decode()
    events = len(factories.firm_events(desk.firm, "report.released"))
    assert events == 1
    # Twice: a message, nothing written.
    response = client.post(f"/reports/{report.pk}/release/", follow=True)
    assert response.status_code == 200
    assert "already been released" in _messages(response)
    with scopes_disabled():
        assert ReportRelease.objects.filter(report=report).count() == 1
    assert len(factories.firm_events(desk.firm, "report.released")) == events


def test_missing_disclosure_is_a_message_naming_it(world_a, login):
    factories.approved_disclosures(
        world_a.firm,
        author=world_a.admin.user,
        approver=world_a.compliance.user,
        skip=("past-performance",),
    )
    response = _generate(login(world_a.advisor), world_a)
    assert response.status_code == 200
    assert "past-performance" in _messages(response)
    assert _reports(world_a) == []


@pytest.mark.parametrize("period", ["", "2025-13", "december", "2999-01"])
def test_a_bad_or_unfinished_month_is_a_message(period, desk, login):
    response = _generate(login(desk.advisor), desk, period)
    assert response.status_code == 200
    assert "month" in _messages(response)
    assert _reports(desk) == []


def test_download_streams_the_pdf_no_store_and_is_audited(desk, login):
    client = login(desk.advisor)
    _generate(client, desk)
    (report,) = _reports(desk)
    before = len(factories.firm_events(desk.firm, "report.downloaded"))
    for persona in ("admin", "advisor", "compliance"):
        response = login(getattr(desk, persona)).get(f"/reports/{report.pk}/download/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert "no-store" in response["Cache-Control"].split(", ")
        body = b"".join(response.streaming_content)
        assert body.startswith(b"%PDF")
        assert len(body) == report.size  # consumed, so the test client closed the file
    events = factories.firm_events(desk.firm, "report.downloaded")
    assert len(events) == before + 3
    assert events[-1].object_id == str(report.pk)


def test_compliance_downloads_but_cannot_generate_or_release(desk, login):
    _generate(login(desk.advisor), desk)
    (report,) = _reports(desk)
    client = login(desk.compliance)
    assert client.post(f"/households/{desk.household.pk}/reports/generate/").status_code == 403
    assert client.post(f"/reports/{report.pk}/release/").status_code == 403
    response = client.get(f"/reports/{report.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    page = client.get(f"/households/{desk.household.pk}/").content.decode()
    assert "Reports" in page and f"/reports/{report.pk}/download/" in page
    assert "Generate report" not in page and "/release/" not in page


def test_client_gets_403_on_every_staff_page_and_no_card(desk, login):
    _generate(login(desk.advisor), desk)
    (report,) = _reports(desk)
    client = login(desk.client)
    assert client.post(f"/households/{desk.household.pk}/reports/generate/").status_code == 403
    assert client.post(f"/reports/{report.pk}/release/").status_code == 403
    assert client.get(f"/reports/{report.pk}/download/").status_code == 403
    page = client.get(f"/households/{desk.household.pk}/").content.decode()
    assert "/download/" not in page and "Generate report" not in page
    assert factories.firm_events(desk.firm, "report.downloaded") == []


def test_firm_b_ids_are_404(desk, world_b, login):
    factories.approved_disclosures(
        world_b.firm, author=world_b.admin.user, approver=world_b.compliance.user
    )
    _generate(login(world_b.advisor), world_b)
    (b_report,) = _reports(world_b)
    for persona in ("admin", "advisor", "compliance"):
        client = login(getattr(desk, persona))
        assert client.get(f"/reports/{b_report.pk}/download/").status_code == 404
        if persona != "compliance":
            assert client.post(f"/reports/{b_report.pk}/release/").status_code == 404
            url = f"/households/{world_b.household.pk}/reports/generate/"
            assert client.post(url, {"period": PERIOD}).status_code == 404
    with scopes_disabled():
        assert not ReportRelease.objects.filter(report=b_report).exists()
    assert len(_reports(world_b)) == 1
    assert factories.firm_events(world_b.firm, "report.downloaded") == []


def test_an_advisor_not_on_the_household_gets_404(desk, login):
    _generate(login(desk.advisor), desk)
    (report,) = _reports(desk)
    with scopes_disabled():
        other = factories.member(desk.firm, "other-advisor@alpha.test", "advisor")
    client = login(other)
    assert client.get(f"/reports/{report.pk}/download/").status_code == 404
    assert client.post(f"/reports/{report.pk}/release/").status_code == 404


def test_last_complete_month():
    assert last_complete_month(dt.date(2026, 1, 15)) == "2025-12"
    assert last_complete_month(dt.date(2026, 3, 1)) == "2026-02"
    assert last_complete_month(dt.date(2025, 12, 31)) == "2025-12"  # a month ending that day


def test_the_default_month_is_the_last_one_the_prices_cover(world_a):
    # world_a's prices end on 2025-12-31, whatever today is: a report of a later month would
    # show December's prices as if they were that month's.
    with firm_scope(world_a.firm):
        assert default_report_month(world_a.firm.pk) == "2025-12"
