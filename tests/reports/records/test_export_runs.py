"""The examination export from the compliance workspace: asked for on a page, made by a
Celery task (in-process here), downloaded as a zip that verify_export accepts."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from reports.models import RecordsExport
from reports.records.runs import run_export
from tests import factories


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def desk(world_a, world_b):
    factories.approved_disclosures(
        world_a.firm, author=world_a.admin.user, approver=world_a.compliance.user
    )
    factories.stored_report(world_a.household, content=b"%PDF-1.7 in the export")
    return world_a


def _start(client, **dates):
    form = {"date_from": "2026-01-01", "date_to": "2026-11-30", **dates}
    return client.post("/compliance/records/", form)


def test_compliance_exports_downloads_and_the_zip_verifies(
    desk, login, tmp_path, django_capture_on_commit_callbacks
):
    # Starting and downloading an export need a recent second factor (step-up).
    client = factories.stepped_up(login(desk.compliance), desk.compliance.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(client)
    assert response.status_code == 302
    with scopes_disabled():
        export = RecordsExport.objects.get(firm=desk.firm)
    assert export.state == "done" and export.counts["released reports"] == 1
    page = client.get("/compliance/records/").content.decode()
    assert f"/compliance/records/{export.pk}/download/" in page
    download = client.get(f"/compliance/records/{export.pk}/download/")
    assert download.status_code == 200 and "no-store" in download["Cache-Control"]
    data = b"".join(download.streaming_content)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    (top,) = list(folder.iterdir())
    call_command("verify_export", str(top))
    actions = [
        e.action for e in factories.firm_events(desk.firm) if e.action.startswith("records.")
    ]
    assert actions == ["records.export_started", "records.exported", "records.downloaded"]


def test_a_redelivered_task_makes_one_zip(desk, login, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _start(factories.stepped_up(login(desk.compliance), desk.compliance.user))
    with scopes_disabled():
        export = RecordsExport.objects.get(firm=desk.firm)
    assert run_export(desk.firm.pk, export.pk) == "skipped"
    exported = factories.firm_events(desk.firm, "records.exported")
    assert len(exported) == 1


@pytest.mark.parametrize(
    ("dates", "message"),
    [
        ({"date_from": "2026-02-30"}, "YYYY-MM-DD"),
        ({"date_from": "2026-06-01", "date_to": "2026-05-01"}, "before"),
        ({"date_from": "2099-01-01", "date_to": "2099-02-01"}, "future"),
    ],
)
def test_bad_periods_get_a_message_and_make_nothing(dates, message, desk, login):
    response = _start(factories.stepped_up(login(desk.compliance), desk.compliance.user), **dates)
    assert response.status_code == 400
    assert message in response.content.decode()
    with scopes_disabled():
        assert not RecordsExport.objects.filter(firm=desk.firm).exists()


@pytest.mark.parametrize("persona", ["advisor", "client"])
def test_only_compliance_and_admins_export(persona, desk, login):
    client = login(getattr(desk, persona))
    assert client.get("/compliance/records/").status_code == 403
    assert _start(client).status_code == 403
