"""The Imports page: who may do what, and what an upload shows and writes."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios.imports import MAX_FILE_BYTES
from portfolios.models import Price, TaxLot
from tests import factories
from tests.factories import POSITIONS_HEADER as HEADER

PAGE = "/imports/"
POSITIONS = "/imports/positions/"
MANUAL = "/imports/manual-price/"
PRICES = "/imports/prices/"
GOOD = HEADER + "ALPHA-1001,VOO,12,6000.00,2024-03-01\nALPHA-1001,BND,100.5,,2024-05-01\n"
BAD = HEADER + (
    "ALPHA-1001,VOO,12,6000.00,2024-03-01\n"
    "ALPHA-1001,BND,-3,,2024-05-01\n"
    "ZETA-1001,VOO,1,,2024-05-01\n"
)


def upload(body: str | bytes, name: str = "positions.csv") -> SimpleUploadedFile:
    data = body.encode() if isinstance(body, str) else body
    return SimpleUploadedFile(name, data, content_type="text/csv")


def lots(world) -> dict[str, Decimal]:
    with firm_scope(world.firm):
        rows = TaxLot.objects.filter(account=world.account).values_list(
            "security__symbol", "quantity"
        )
        return {symbol: quantity for symbol, quantity in rows}


def actions(world) -> list[str]:
    return [e.action for e in factories.firm_events(world.firm)]


def staged_id(response) -> int:
    """The id of the import an upload staged (the upload redirects to its preview)."""
    assert response.status_code == 302, response.content.decode()[:500]
    match = re.fullmatch(r"/imports/positions/(\d+)/", response["Location"])
    assert match, response["Location"]
    return int(match[1])


def upload_and_confirm(client, data: dict):
    """Upload a position file, check its preview page, confirm it; the confirmed page."""
    import_id = staged_id(client.post(POSITIONS, data))
    assert (
        "Confirm and replace these holdings"
        in client.get(f"{POSITIONS}{import_id}/").content.decode()
    )
    return client.post(f"{POSITIONS}{import_id}/confirm/", follow=True)


def operator(world):
    """Firm A's admin, who is also a platform operator."""
    user = world.admin.user
    user.is_staff = True
    user.save()
    return world.admin


# --- the page -----------------------------------------------------------------


def test_admin_sees_the_page_and_the_nav_link(world_a, login):
    body = login(world_a.admin).get(PAGE).content.decode()
    assert 'href="/imports/"' in body
    assert 'action="/imports/positions/"' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'action="/imports/manual-price/"' in body
    # Not an operator: the shared price card explains instead of offering a form.
    assert 'action="/imports/prices/"' not in body
    assert "managed by the platform operator" in body


def test_compliance_reads_the_page_without_forms(world_a, login):
    response = login(world_a.compliance).get(PAGE)
    body = response.content.decode()
    assert response.status_code == 200
    assert "<form" in body  # the sign-out form only
    assert 'action="/imports/' not in body
    assert 'href="/imports/"' not in body  # no nav link: imports are an admin's job


@pytest.mark.parametrize("role", ["advisor", "client"])
def test_advisors_and_clients_cannot_open_the_page(world_a, login, role):
    assert login(getattr(world_a, role)).get(PAGE).status_code == 403


def test_a_get_on_a_form_target_goes_back_to_the_page(world_a, login):
    response = login(world_a.admin).get(POSITIONS)
    assert (response.status_code, response["Location"]) == (302, PAGE)


# --- positions ------------------------------------------------------------------


def test_admin_uploads_a_position_file(world_a, world_b, bnd, login):
    client = login(world_a.admin)
    response = upload_and_confirm(client, {"file": upload(GOOD), "preset": "generic"})
    body = response.content.decode()
    assert response.status_code == 200
    assert lots(world_a) == {"VOO": Decimal("12"), "BND": Decimal("100.5")}
    assert lots(world_b) == {"VOO": Decimal("10")}
    assert actions(world_a)[-3:] == [
        "positions.import_staged",
        "positions.imported",
        "positions.import",
    ]
    assert "Applied: 2 lots written." in body
    assert "positions.csv" in body


def test_a_bad_file_shows_numbered_errors_and_writes_nothing(world_a, world_b, bnd, login):
    client = login(world_a.admin)
    before = actions(world_a)
    response = client.post(POSITIONS, {"file": upload(BAD), "preset": "generic"})
    body = response.content.decode()
    assert response.status_code == 200
    assert lots(world_a) == {"VOO": Decimal("10")}
    assert "Nothing was written" in body
    assert '<td class="nowrap">row 3</td>' in body
    assert "quantity must not be negative (got -3)" in body
    assert "row 4</td>" in body
    assert "unknown account number ••••1001" in body
    assert "ZetaSecret" not in body
    assert actions(world_a) == before  # a rejected file writes nothing, not even a staged row


def test_partial_writes_the_good_accounts(world_a, bnd, login):
    body = HEADER + "ALPHA-1001,VOO,12,6000.00,2024-03-01\nALPHA-1002,BND,-1,,2024-05-01\n"
    client = login(world_a.admin)
    import_id = staged_id(
        client.post(POSITIONS, {"file": upload(body), "preset": "generic", "partial": "on"})
    )
    preview = client.get(f"{POSITIONS}{import_id}/").content.decode()
    assert "Problems (1)" in preview  # the bad row is listed beside the preview
    assert "quantity must not be negative" in preview
    client.post(f"{POSITIONS}{import_id}/confirm/")
    assert lots(world_a) == {"VOO": Decimal("12")}


def test_the_custodian_preset(world_a, bnd, login):
    body = "Account Number,Symbol,Quantity,Cost Basis,Acquired Date\nALPHA-1001,BND,3,,05/01/2024\n"
    upload_and_confirm(login(world_a.admin), {"file": upload(body), "preset": "custodian"})
    assert lots(world_a) == {"BND": Decimal("3")}


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("positions.exe", GOOD.encode(), "Choose a .csv or .txt file"),
        ("positions.csv", b"PK\x03\x04" + b"\x00" * 100, "looks like a ZIP archive"),
        ("positions.csv", b"%PDF-1.7\n", "looks like a PDF document"),
        ("positions.txt", b"account_number\x00\x01\x02", "NUL bytes"),
        ("positions.csv", "account_number,caf\u00e9\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_files_that_are_not_csv_text_are_refused(world_a, login, name, data, message):
    client = login(world_a.admin)
    before = actions(world_a)
    response = client.post(POSITIONS, {"file": upload(data, name)})
    body = response.content.decode()
    assert response.status_code == 200
    assert message in body
    assert 'class="field-error"' in body
    assert lots(world_a) == {"VOO": Decimal("10")}
    assert actions(world_a) == before  # refused before any import ran


def test_an_oversized_file_is_refused(world_a, login):
    data = GOOD.encode() + b"\n" * (MAX_FILE_BYTES + 1 - len(GOOD))
    response = login(world_a.admin).post(POSITIONS, {"file": upload(data)})
    body = response.content.decode()
    assert response.status_code == 413  # stopped by the upload handler, past 20 MB of file
    assert "the limit is 20 MB" in body
    assert lots(world_a) == {"VOO": Decimal("10")}


@pytest.mark.parametrize("role", ["advisor", "compliance", "client"])
def test_only_admins_may_post(world_a, bnd, login, role):
    client = login(getattr(world_a, role))
    before = actions(world_a)
    assert client.post(POSITIONS, {"file": upload(GOOD), "preset": "generic"}).status_code == 403
    day = {"symbol": "VOO", "date": "2026-01-02", "close": "1"}
    assert client.post(MANUAL, day).status_code == 403
    prices = {"file": upload("symbol,date,close\nVOO,2026-01-02,1\n", "p.csv"), "preset": "generic"}
    assert client.post(PRICES, {**prices, "source": "vendor-x"}).status_code == 403
    assert lots(world_a) == {"VOO": Decimal("10")}
    assert Price.objects.count() == 2
    assert actions(world_a) == before


# --- manual price ----------------------------------------------------------------


def test_manual_price_round_trip(world_a, world_b, login):
    client = login(world_a.admin)
    response = client.post(
        MANUAL, {"symbol": "VOO", "date": "2026-01-02", "close": "600.50"}, follow=True
    )
    body = response.content.decode()
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Saved VOO close 600.5 for Jan 2, 2026." in body
    assert "applies to Alpha Firm only" in body
    price = Price.objects.get(source="manual:alpha")
    assert (price.close, price.date) == (Decimal("600.50"), dt.date(2026, 1, 2))
    assert actions(world_a)[-1] == "price.entered"
    assert "price.entered" not in actions(world_b)
    assert "VOO close 600.5 on 2026-01-02, for this firm only" in body  # Recent imports


def test_manual_price_errors_are_shown_next_to_the_fields(world_a, login):
    client = login(world_a.admin)

    def errors(symbol: str, day: str, close: str) -> list[str]:
        body = client.post(MANUAL, {"symbol": symbol, "date": day, "close": close}).content
        body = body.decode()
        fields = re.findall(r'<div class="field has-error">\s*<label for="id_(\w+)"', body)
        return [*fields, *re.findall(r'<p class="field-error">([^<]*)</p>', body)]

    assert errors("VOO", "2026-01-02", "-1") == ["close", "price must be positive (got -1)"]
    assert errors("VOO", "2026-01-02", "1e3") == [
        "close",
        "price must be written without an exponent (got &#x27;1e3&#x27;)",
    ]
    assert errors("NOPE", "2026-01-02", "1") == ["symbol", "unknown symbol &#x27;NOPE&#x27;"]
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    assert errors("VOO", future, "1") == ["date", f"date {future} is in the future"]
    assert errors("VOO", "2026-02-30", "") == [
        "date",
        "close",
        "Enter a valid date.",
        "This field is required.",
    ]
    assert not Price.objects.filter(source__startswith="manual").exists()


# --- shared prices ---------------------------------------------------------------


def price_file(body: str = "symbol,date,close\nVOO,2026-01-02,520.10\n"):
    return {"file": upload(body, "closes.csv"), "preset": "generic", "source": "vendor-x"}


def test_a_firm_admin_who_is_not_an_operator_cannot_upload_shared_prices(world_a, login):
    response = login(world_a.admin).post(PRICES, price_file())
    assert response.status_code == 403
    assert not Price.objects.filter(source="vendor-x").exists()


def test_an_operator_uploads_shared_prices(world_a, world_b, login):
    client = login(operator(world_a))
    assert 'action="/imports/prices/"' in client.get(PAGE).content.decode()
    response = client.post(PRICES, price_file())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Imported: 1 prices written." in body
    assert Price.objects.get(source="vendor-x").close == Decimal("520.10")
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="prices.imported")
    assert event.actor_id == world_a.admin.user.pk
    assert event.changes | {"first_errors": []} == {
        "file": "closes.csv",
        "source": "vendor-x",
        "partial": False,
        "rows": 1,
        "written": 1,
        "already_present": 0,
        "errors": 0,
        "first_errors": [],
    }
    with scopes_disabled():
        assert not AuditEvent.objects.filter(firm=world_b.firm, action__startswith="prices.")


def test_an_operator_cannot_pose_as_a_manual_source(world_a, login):
    client = login(operator(world_a))
    body = client.post(PRICES, {**price_file(), "source": "manual-alpha"}).content.decode()
    assert "is reserved" in body
    assert not Price.objects.filter(source__startswith="manual").exists()


def test_a_bad_price_file_shows_its_errors(world_a, login):
    client = login(operator(world_a))
    body = client.post(PRICES, price_file("symbol,date,close\nVOO,2026-01-02,-5\n")).content
    body = body.decode()
    assert "Nothing was written" in body
    assert "price must be positive (got -5)" in body
    assert actions(world_a)[-1] == "prices.import_rejected"
