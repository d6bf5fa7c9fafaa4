"""An owner column sets an account's owners, only to clients of the account's household."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from advisory.models import AccountOwner, Client
from advisory.tenancy import firm_scope
from portfolios.imports import import_positions
from portfolios.models import TaxLot
from tests.factories import firm_events

HEADER = "account_number,symbol,quantity,cost_basis,acquired_date,owner_emails\n"
LOT = "ALPHA-1001,VOO,12,6000.00,2024-03-01"


@pytest.fixture
def people(world_a, world_b):
    """Pat (world A's client) and Sam in the account's household; Olga in another household
    of firm A; Zed in firm B."""
    with firm_scope(world_a.firm):
        pat = world_a.client_person
        pat.first_name, pat.email = "Pat", "pat@alpha.example"
        pat.save()
        sam = Client.objects.create(
            firm=world_a.firm, household=world_a.household, first_name="Sam",
            last_name="Client", email="Sam@Alpha.example",
        )  # fmt: skip
        olga = Client.objects.create(
            firm=world_a.firm, household=world_a.other_household, first_name="Olga",
            last_name="Other", email="olga@alpha.example",
        )  # fmt: skip
    with firm_scope(world_b.firm):
        zed = Client.objects.create(
            firm=world_b.firm, household=world_b.household, first_name="Zed",
            last_name="Zeta", email="zed@zeta.example",
        )  # fmt: skip
    return {"pat": pat, "sam": sam, "olga": olga, "zed": zed}


def owners(world) -> list[str]:
    with firm_scope(world.firm):
        return sorted(
            AccountOwner.objects.filter(account=world.account).values_list(
                "client__first_name", flat=True
            )
        )


def lots(world) -> list[tuple]:
    with firm_scope(world.firm):
        return sorted(
            TaxLot.objects.filter(account=world.account).values_list("security__symbol", "quantity")
        )


def run(world, body: str):
    return import_positions(world.firm, io.BytesIO((HEADER + body).encode()))


def test_the_owner_column_sets_the_owners_of_a_joint_account(world_a, people):
    assert owners(world_a) == ["Pat"]
    result = run(world_a, f"{LOT},pat@alpha.example; SAM@alpha.example\n")
    assert result.ok, [str(e) for e in result.errors]
    assert owners(world_a) == ["Pat", "Sam"]
    event = firm_events(world_a.firm, "positions.owners_set")[-1]
    assert event.changes["owners"] == {
        "before": ["Pat Client"],
        "after": ["Pat Client", "Sam Client"],
    }
    assert firm_events(world_a.firm, "positions.import")[-1].changes["owners_set"] == 1
    # The same owners again: nothing to set, no event.
    run(world_a, f"{LOT},sam@alpha.example;pat@alpha.example\n")
    assert len(firm_events(world_a.firm, "positions.owners_set")) == 1
    # Only Sam now: Pat is removed.
    run(world_a, f"{LOT},sam@alpha.example\n")
    assert owners(world_a) == ["Sam"]


def test_a_blank_owner_cell_leaves_the_owners_alone(world_a, people):
    result = run(world_a, f"{LOT},\n")
    assert result.ok
    assert owners(world_a) == ["Pat"]
    assert firm_events(world_a.firm, "positions.owners_set") == []


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("olga@alpha.example", "owner 'olga@alpha.example' is not a client of this account's "
         "household"),  # another household of the same firm
        ("zed@zeta.example", "owner 'zed@zeta.example' is not a client of this account's "
         "household"),  # another firm's client: exactly like an unknown e-mail
        ("pat@alpha.example;nobody", "owner 'nobody' is not an e-mail address"),
        ("=HYPERLINK(1)", "owner '=HYPERLINK(1)' starts with a formula character (= + - @)"),
    ],
)  # fmt: skip
def test_a_foreign_owner_is_a_row_error_and_nothing_is_written(world_a, people, cell, message):
    before = lots(world_a)
    result = run(world_a, f"{LOT},{cell}\n")
    assert [str(e) for e in result.errors] == [f"row 2, owner_emails: {message}"]
    assert result.written == 0
    assert lots(world_a) == before
    assert owners(world_a) == ["Pat"]
    assert firm_events(world_a.firm, "positions.owners_set") == []


def test_rows_of_one_account_must_agree_on_its_owners(world_a, bnd, people):
    body = f"{LOT},pat@alpha.example\nALPHA-1001,BND,1,,2024-03-01,sam@alpha.example\n"
    result = run(world_a, body)
    assert [str(e) for e in result.errors] == [
        "row 3, owner_emails: owners differ from row 2 for the same account"
    ]
    assert owners(world_a) == ["Pat"]


def test_a_partial_import_keeps_the_bad_account_whole(world_a, bnd, people):
    """With partial, the account with a foreign owner keeps its lots and owners; others apply."""
    body = f"{LOT},olga@alpha.example\nALPHA-1002,BND,5,,2024-03-01,\n"
    before = lots(world_a)
    result = import_positions(world_a.firm, io.BytesIO((HEADER + body).encode()), partial=True)
    assert result.written == 1
    assert lots(world_a) == before
    assert owners(world_a) == ["Pat"]


def test_the_preview_shows_owner_changes(world_a, people, login):
    client = login(world_a.admin)
    upload = SimpleUploadedFile("owners.csv", (HEADER + f"{LOT},sam@alpha.example\n").encode())
    response = client.post("/imports/positions/", {"file": upload, "preset": "generic"})
    assert response.status_code == 302
    import_id = int(re.fullmatch(r"/imports/positions/(\d+)/", response["Location"])[1])
    page = client.get(response["Location"]).content.decode()
    assert '<dt>Owners changed</dt><dd class="fact-big">1</dd>' in page
    assert "Owners: Pat Client → <strong>Sam Client</strong>" in page
    assert owners(world_a) == ["Pat"]  # nothing applied before the confirm
    client.post(f"/imports/positions/{import_id}/confirm/")
    assert owners(world_a) == ["Sam"]
