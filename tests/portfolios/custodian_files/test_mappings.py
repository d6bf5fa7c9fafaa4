"""Saved column mappings: map a sample once, import files with odd headers, version each edit."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from advisory.tenancy import firm_scope
from portfolios.imports.layout import PositionMapping
from portfolios.imports.mappings import MappingError, save_mapping
from portfolios.models import ColumnMapping, PositionImport, TaxLot
from tests.factories import firm_events

DATA = Path(__file__).parent / "data"
MAPPINGS = "/imports/mappings/"
ODD = (DATA / "odd_headers.csv").read_bytes()

FORM = {
    "name": "Acme custody",
    "custodian": "other",
    "col_account_number": "Acct #",
    "col_symbol": "Ticker Symbol",
    "col_quantity": "Units Held",
    "col_cost_basis": "Book Value",
    "col_acquired_date": "Opened On",
    "col_custodian": "",
    "col_owners": "Holder E-mails",
    "date_format": "%d.%m.%Y",
    "cost": "total",
    "numbers": "formatted",
    "header_search": "on",
    "extra_columns": "on",
    "summary_markers": "",
}


def sample(body: bytes = ODD, name: str = "odd.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="text/csv")


def mappings_of(world) -> list[tuple[str, int, bool]]:
    with firm_scope(world.firm):
        return list(
            ColumnMapping.objects.order_by("version").values_list("name", "version", "is_current")
        )


def lots(world) -> list[tuple]:
    with firm_scope(world.firm):
        return sorted(
            (lot.security.symbol, lot.quantity, lot.cost_basis, lot.acquired_on)
            for lot in TaxLot.objects.filter(account=world.account).select_related("security")
        )


def created(client, **changes) -> int:
    response = client.post(f"{MAPPINGS}new/", {**FORM, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    return int(re.fullmatch(r"/imports/mappings/(\d+)/", response["Location"])[1])


def import_with(client, choice: str) -> PositionImport:
    response = client.post("/imports/positions/", {"file": sample(), "preset": choice})
    assert response.status_code == 302, response.content.decode()[:3000]
    import_id = int(re.fullmatch(r"/imports/positions/(\d+)/", response["Location"])[1])
    return PositionImport.objects.get(pk=import_id)


def test_the_sample_page_shows_headers_first_rows_and_guesses(world_a, login):
    client = login(world_a.admin)
    page = client.post(f"{MAPPINGS}sample/", {"file": sample()}).content.decode()
    assert "Header found on line 4" in page  # two title lines and a blank line before it
    assert '<th scope="col" class="mono">Ticker Symbol</th>' in page
    assert '<td class="mono" data-label="Book Value">6,000.00</td>' in page
    assert 'name="col_account_number" value="Acct #"' in page  # guessed from "acct"
    assert 'name="col_owners" value="Holder E-mails"' in page
    assert mappings_of(world_a) == []  # reading a sample saves nothing


def test_a_saved_mapping_imports_a_file_with_odd_headers(world_a, bnd, login):
    client = login(world_a.admin)
    mapping_id = created(client)
    assert mappings_of(world_a) == [("Acme custody", 1, True)]
    assert firm_events(world_a.firm, "column_mapping.saved")[-1].changes["version"] == 1
    form_page = client.get("/imports/").content.decode()
    assert f'<option value="mapping-{mapping_id}">Acme custody (saved mapping, v1)</option>' in (
        form_page
    )
    with firm_scope(world_a.firm):
        job = import_with(client, f"mapping-{mapping_id}")
        assert (job.mapping_id, job.preset) == (mapping_id, "mapping")
        response = client.post(f"/imports/positions/{job.pk}/confirm/")
        assert response.status_code == 302
        job.refresh_from_db()
        assert job.state == "applied"
    assert lots(world_a) == [
        ("BND", Decimal("7.25"), None, dt.date(2024, 5, 15)),
        ("VOO", Decimal("12"), Decimal("6000.00"), dt.date(2024, 3, 1)),
    ]
    staged = firm_events(world_a.firm, "positions.import_staged")[-1]
    assert staged.changes["mapping"] == {"id": mapping_id, "version": 1}


def test_editing_makes_version_2_and_an_import_records_the_version(world_a, bnd, login):
    client = login(world_a.admin)
    v1 = created(client)
    with firm_scope(world_a.firm):
        first = import_with(client, f"mapping-{v1}")
        assert first.state == "preview"

    edit = {**FORM, "summary_markers": "Total, Grand total"}
    response = client.post(f"{MAPPINGS}{v1}/", edit)
    assert response.status_code == 302
    v2 = int(re.fullmatch(r"/imports/mappings/(\d+)/", response["Location"])[1])
    assert mappings_of(world_a) == [("Acme custody", 1, False), ("Acme custody", 2, True)]
    with firm_scope(world_a.firm):
        assert ColumnMapping.objects.get(pk=v1).options["summary_markers"] == []  # kept
        assert ColumnMapping.objects.get(pk=v2).options["summary_markers"] == [
            "total",
            "grand total",
        ]
        second = import_with(client, f"mapping-{v2}")
        assert second.state == "preview"
        assert second.mapping.version == 2
        first.refresh_from_db()
        assert first.mapping.version == 1  # the earlier import still names version 1
    page = client.get(f"/imports/positions/{second.pk}/").content.decode()
    assert "Acme custody v2" in page
    # The old version is no longer offered, and can no longer be edited.
    assert f"mapping-{v1}" not in client.get("/imports/").content.decode()
    client.post(f"{MAPPINGS}{v1}/", edit)
    assert len(mappings_of(world_a)) == 2


def test_a_stale_edit_is_refused(world_a):
    with firm_scope(world_a.firm):
        layout = PositionMapping(owners="")
        v1 = save_mapping(world_a.firm, name="M", custodian="other", layout=layout, actor=None)
        save_mapping(world_a.firm, name="M", custodian="other", layout=layout, actor=None, edits=v1)
        with pytest.raises(MappingError, match="changed meanwhile"):
            save_mapping(
                world_a.firm, name="M", custodian="other", layout=layout, actor=None, edits=v1
            )
        with pytest.raises(MappingError, match="exists already"):
            save_mapping(world_a.firm, name="m", custodian="other", layout=layout, actor=None)
        assert ColumnMapping.objects.count() == 2


def test_a_mapping_without_a_required_column_is_refused(world_a, login):
    client = login(world_a.admin)
    page = client.post(f"{MAPPINGS}new/", {**FORM, "col_symbol": ""}).content.decode()
    assert "This field is required." in page
    page = client.post(f"{MAPPINGS}new/", {**FORM, "col_symbol": "acct #"}).content.decode()
    assert "Each column may hold one field only: acct #" in page
    assert mappings_of(world_a) == []


def test_compliance_reads_others_are_refused(world_a, world_b, login):
    with firm_scope(world_b.firm):
        theirs = save_mapping(
            world_b.firm, name="ZetaSecret map", custodian="other",
            layout=PositionMapping(), actor=None,
        )  # fmt: skip
    with firm_scope(world_a.firm):
        ours = save_mapping(
            world_a.firm, name="Alpha map", custodian="other", layout=PositionMapping(), actor=None
        )
    client = login(world_a.compliance)
    page = client.get(MAPPINGS).content.decode()
    assert "Alpha map" in page and "ZetaSecret" not in page
    assert "Read the sample" not in page
    detail = client.get(f"{MAPPINGS}{ours.pk}/").content.decode()
    assert "Save as version 2" not in detail
    assert client.post(f"{MAPPINGS}{ours.pk}/", FORM).status_code == 403
    assert client.post(f"{MAPPINGS}sample/", {"file": sample()}).status_code == 403
    assert client.get(f"{MAPPINGS}{theirs.pk}/").status_code == 404
    advisor = login(world_a.advisor)
    assert advisor.get(MAPPINGS).status_code == 403
    admin = login(world_a.admin)
    assert admin.get(f"{MAPPINGS}{theirs.pk}/").status_code == 404
    assert "Save as version 2" in admin.get(f"{MAPPINGS}{ours.pk}/").content.decode()


def test_a_large_file_is_checked_by_the_task_with_the_saved_version(
    world_a, bnd, login, settings, django_capture_on_commit_callbacks
):
    settings.BALLAST_IMPORT_ASYNC_ROWS = 1  # every file goes to the task
    client = login(world_a.admin)
    mapping_id = created(client)
    with django_capture_on_commit_callbacks(execute=True), firm_scope(world_a.firm):
        job = import_with(client, f"mapping-{mapping_id}")
    with firm_scope(world_a.firm):
        job.refresh_from_db()
        assert (job.run_async, job.state, job.mapping_id) == (True, "preview", mapping_id)
        assert job.preview["lots_added"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"%PDF-1.7 binary", "The file looks like a PDF document, not CSV."),
        (b"just one column\nand another line\n", "no header row with two or more columns"),
        (b"", "The submitted file is empty."),
    ],
)
def test_a_bad_sample_is_refused_and_nothing_saved(world_a, login, body, message):
    client = login(world_a.admin)
    page = client.post(f"{MAPPINGS}sample/", {"file": sample(body)}).content.decode()
    assert message in page
    assert "Save mapping" not in page
    assert mappings_of(world_a) == []
