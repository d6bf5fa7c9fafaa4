"""Position imports: named accounts get exactly the file's lots, inside one firm, audited."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_scopes import ScopeError

from advisory.models import Account
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.imports import POSITION_PRESETS, import_positions
from portfolios.models import TaxLot
from tests.factories import POSITIONS_HEADER as HEADER
from tests.factories import firm_events

TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.fixture
def other_lot(world_a, bnd):
    """A lot in firm A's second account, which the files below do not name."""
    return TaxLot.objects.create(
        firm=world_a.firm,
        account=world_a.other_account,
        security=bnd,
        quantity=Decimal("3"),
        cost_basis=None,
        acquired_on=dt.date(2023, 5, 1),
    )


def csv_file(body: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO((header + body).encode())


def lots(firm, account=None) -> list[tuple]:
    with firm_scope(firm):
        qs = TaxLot.objects.all() if account is None else TaxLot.objects.filter(account=account)
        return sorted(
            (lot.account.account_number, lot.security.symbol, lot.quantity, lot.cost_basis,
             lot.acquired_on)
            for lot in qs.select_related("account", "security")
        )  # fmt: skip


def rejected(world, body: str, header: str = HEADER) -> list[str]:
    """Import a file that must fail; check that no lot changed; return the error strings."""
    before, rejections = lots(world.firm), len(firm_events(world.firm, "positions.import_rejected"))
    result = import_positions(world.firm, csv_file(body, header))
    assert not result.ok
    assert result.written == 0
    assert lots(world.firm) == before
    assert firm_events(world.firm, "positions.imported") == []
    assert len(firm_events(world.firm, "positions.import_rejected")) == rejections + 1
    return [str(e) for e in result.errors]


GOOD_ROW = "ALPHA-1001,VOO,12.5,5000.00,2024-03-01\n"


def test_replaces_the_lots_of_named_accounts_only(world_a, world_b, bnd, other_lot):
    b_before = lots(world_b.firm)
    body = GOOD_ROW + "ALPHA-1001,BND,100.123456789,,2025-06-30\n"
    result = import_positions(world_a.firm, csv_file(body))
    assert result.ok, result.errors
    assert (result.rows_read, result.written, result.skipped_existing) == (2, 2, 0)
    assert lots(world_a.firm) == [
        ("ALPHA-1001", "BND", Decimal("100.123456789"), None, dt.date(2025, 6, 30)),
        ("ALPHA-1001", "VOO", Decimal("12.5"), Decimal("5000.00"), dt.date(2024, 3, 1)),
        ("ALPHA-1002", "BND", Decimal("3"), None, dt.date(2023, 5, 1)),
    ]
    assert lots(world_b.firm) == b_before


def test_empty_cost_basis_is_unknown_and_zero_is_zero(world_a, bnd):
    body = "ALPHA-1001,VOO,1,,2024-03-01\nALPHA-1001,BND,2,0.00,2024-03-01\n"
    assert import_positions(world_a.firm, csv_file(body)).ok
    with firm_scope(world_a.firm):
        basis = dict(TaxLot.objects.values_list("security__symbol", "cost_basis"))
    assert basis == {"VOO": None, "BND": Decimal("0.00")}


def test_audit_events_carry_before_and_after(world_a, bnd):
    body = GOOD_ROW + "ALPHA-1001,BND,100.123456789,,2025-06-30\n"
    with acting_as(actor_label="nightly feed", role="system"):
        import_positions(world_a.firm, csv_file(body))
    (account_event,) = firm_events(world_a.firm, "positions.imported")
    assert account_event.object_type == "advisory.account"
    assert account_event.object_id == str(world_a.account.pk)
    assert account_event.changes == {
        "lots": {"before": {"VOO": "10"}, "after": {"BND": "100.123456789", "VOO": "12.5"}}
    }
    assert (account_event.actor_label, account_event.role) == ("nightly feed", "system")
    (file_event,) = firm_events(world_a.firm, "positions.import")
    assert file_event.changes["rows"] == 2
    assert file_event.changes["accounts"] == 1
    assert file_event.changes["lots"] == 2
    assert file_event.changes["errors"] == 0
    assert file_event.seq == account_event.seq + 1


def test_reimporting_the_same_file_changes_nothing(world_a, bnd):
    body = GOOD_ROW + "ALPHA-1001,BND,100,,2025-06-30\n"
    assert import_positions(world_a.firm, csv_file(body)).written == 2
    with firm_scope(world_a.firm):
        ids = sorted(TaxLot.objects.values_list("pk", flat=True))
    again = import_positions(world_a.firm, csv_file(body))
    assert again.ok
    assert (again.written, again.skipped_existing) == (0, 2)
    with firm_scope(world_a.firm):
        assert sorted(TaxLot.objects.values_list("pk", flat=True)) == ids
    assert len(firm_events(world_a.firm, "positions.imported")) == 1
    assert len(firm_events(world_a.firm, "positions.import")) == 2


def test_zero_quantity_names_an_account_and_empties_it(world_a):
    result = import_positions(world_a.firm, csv_file("ALPHA-1001,VOO,0,,2024-03-01\n"))
    assert result.ok and result.written == 0
    assert lots(world_a.firm) == []
    (event,) = firm_events(world_a.firm, "positions.imported")
    assert event.changes == {"lots": {"before": {"VOO": "10"}, "after": {}}}


def test_another_firms_account_number_looks_exactly_like_an_unknown_one(world_a, world_b):
    b_before = lots(world_b.firm)
    theirs = rejected(world_a, GOOD_ROW + "ZETA-1001,VOO,1,,2024-03-01\n")
    unknown = rejected(world_a, GOOD_ROW + "NOPE-1001,VOO,1,,2024-03-01\n")
    assert theirs == unknown == ["row 3, account_number: unknown account number ••••1001"]
    assert lots(world_b.firm) == b_before
    assert firm_events(world_b.firm, "positions.import_rejected") == []


def test_the_import_enters_and_leaves_the_firm_scope_itself(world_a):
    assert import_positions(world_a.firm, csv_file(GOOD_ROW)).ok
    with pytest.raises(ScopeError):
        TaxLot.objects.count()


A = "ALPHA-1001,BND,"  # the start of a row in firm A's first account
D = ",2024-03-01"  # the end of a row: an empty cost basis and a good date


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (f"{A}-5,{D}", "quantity", "quantity must not be negative (got -5)"),
        (f"{A}NaN,{D}", "quantity", "quantity must be a finite number (got 'NaN')"),
        (f"{A}ten,{D}", "quantity", "quantity is not a number (got 'ten')"),
        (f"{A}2e3,{D}", "quantity", "quantity must be written without an exponent (got '2e3')"),
        (f"{A}1.0123456789,{D}", "quantity", "quantity has more than 9 decimal places (got "
         "1.0123456789)"),
        (f"{A},{D}", "quantity", "quantity is required"),
        (f"{A}1,-1.00{D}", "cost_basis", "cost basis must not be negative (got -1.00)"),
        (f"{A}1,1.005{D}", "cost_basis", "cost basis has more than 2 decimal places (got 1.005)"),
        (f"{A}1,N/A{D}", "cost_basis", "cost basis is not a number (got 'N/A')"),
        (f"{A}1,,{TOMORROW}", "acquired_date", f"acquired date {TOMORROW} is in the future"),
        (f"{A}1,,2025-02-30", "acquired_date", "acquired date '2025-02-30' is not a real date"),
        (f"{A}1,,03/01/2024", "acquired_date", "acquired date '03/01/2024' does not match the "
         "format YYYY-MM-DD"),
        (f"ALPHA-1001,NOPE,1,{D}", "symbol", "unknown symbol 'NOPE'"),
        (f"ALPHA-1001,=1+2,1,{D}", "symbol", "symbol '=1+2' starts with a formula character "
         "(= + - @)"),
        (f"@SUM(1),BND,1,{D}", "account_number", "account number '@SUM(1)' starts with a "
         "formula character (= + - @)"),
        (f"NOPE-9999,BND,1,{D}", "account_number", "unknown account number ••••9999"),
        (f"{A}1,{D},extra", None, "row has 6 cells, the header has 5"),
    ],
)  # fmt: skip
def test_bad_rows_are_rejected_with_row_and_column(world_a, bnd, row, column, message):
    errors = rejected(world_a, GOOD_ROW + row + "\n")
    assert errors == [f"row 3, {column}: {message}" if column else f"row 3: {message}"]


def test_duplicate_rows_are_all_rejected(world_a, bnd):
    errors = rejected(world_a, GOOD_ROW + "ALPHA-1001,BND,1,,2024-03-01\n" + GOOD_ROW)
    assert errors == [
        "row 2: duplicate: the same lot is on row 4",
        "row 4: duplicate: the same lot is on row 2",
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("account_number,symbol,quantity,acquired_date\n", "missing column(s) 'cost_basis'"),
        (HEADER.strip() + ",broker\n", "unexpected column 'broker'"),
    ],
)
def test_wrong_headers_are_a_file_error(world_a, header, message):
    errors = rejected(world_a, GOOD_ROW, header=header)
    assert len(errors) == 1
    assert errors[0].startswith("row 1: ") and message in errors[0]


def test_a_text_mode_file_is_read_too(world_a):
    result = import_positions(world_a.firm, io.StringIO("\ufeff" + HEADER + GOOD_ROW))
    assert result.ok, result.errors
    assert lots(world_a.firm)[0][2] == Decimal("12.5")


def test_empty_and_non_utf8_files_are_file_errors(world_a):
    before = lots(world_a.firm)
    for data, message in [
        (b"", "file: file is empty"),
        (HEADER.encode() + b"ALPHA-1001,VOO,1,,2024-03-01\xff\n", "file: file is not UTF-8"),
    ]:
        result = import_positions(world_a.firm, io.BytesIO(data))
        assert [str(e)[: len(message)] for e in result.errors] == [message]
    assert lots(world_a.firm) == before


def test_partial_replaces_only_accounts_whose_rows_are_all_good(world_a, bnd, other_lot):
    body = GOOD_ROW + "ALPHA-1002,BND,4,,2024-01-01\nALPHA-1002,VOO,-1,,2024-01-01\n"
    result = import_positions(world_a.firm, csv_file(body), partial=True)
    assert not result.ok
    assert result.written == 1
    assert [str(e) for e in result.errors] == [
        "row 4, quantity: quantity must not be negative (got -1)",
        "file: account ••••1002 left unchanged: it has bad rows",
    ]
    assert lots(world_a.firm) == [
        ("ALPHA-1001", "VOO", Decimal("12.5"), Decimal("5000.00"), dt.date(2024, 3, 1)),
        ("ALPHA-1002", "BND", Decimal("3"), None, dt.date(2023, 5, 1)),
    ]
    (file_event,) = firm_events(world_a.firm, "positions.import")
    assert (file_event.changes["accounts"], file_event.changes["errors"]) == (1, 2)


@pytest.fixture
def twin_account(world_a):
    """The same account number as world_a.account, at another custodian."""
    return Account.objects.create(
        firm=world_a.firm,
        household=world_a.household,
        name="Alpha Twin",
        registration="individual",
        tax_status="taxable",
        custodian="fidelity",
        account_number="ALPHA-1001",
    )


def test_an_account_number_at_two_custodians_needs_the_custodian_column(world_a, twin_account):
    errors = rejected(world_a, GOOD_ROW)
    assert errors == [
        "row 2, account_number: account number ••••1001 exists at several custodians "
        "(fidelity, schwab); add a custodian"
    ]
    header = HEADER.strip() + ",custodian\n"
    body = "ALPHA-1001,VOO,7,,2024-03-01,Fidelity\nALPHA-1001,VOO,8,,2024-03-01,schwab\n"
    assert import_positions(world_a.firm, csv_file(body, header)).ok
    with firm_scope(world_a.firm):
        assert TaxLot.objects.get(account=twin_account).quantity == 7
        assert TaxLot.objects.get(account=world_a.account).quantity == 8


def test_unknown_custodian_is_rejected(world_a):
    header = HEADER.strip() + ",custodian\n"
    errors = rejected(world_a, "ALPHA-1001,VOO,1,,2024-03-01,vanguard\n", header=header)
    assert errors == [
        "row 2, custodian: unknown custodian 'vanguard' "
        "(one of: schwab, fidelity, pershing, altruist, other)"
    ]


def test_custodian_preset_reads_us_dates(world_a):
    header = "Account Number,Custodian,Symbol,Quantity,Cost Basis,Acquired Date\n"
    data = csv_file("ALPHA-1001,Charles Schwab,VOO,5,250.00,03/15/2024\n", header)
    result = import_positions(world_a.firm, data, mapping=POSITION_PRESETS["custodian"])
    assert result.ok, result.errors
    assert lots(world_a.firm) == [
        ("ALPHA-1001", "VOO", Decimal("5"), Decimal("250.00"), dt.date(2024, 3, 15))
    ]


def test_command_imports_as_a_system_actor(world_a, tmp_path):
    path = tmp_path / "positions.csv"
    path.write_text(HEADER + GOOD_ROW)
    out = io.StringIO()
    call_command("import_positions", str(path), "--firm", "alpha", stdout=out)
    assert "1 rows read, 1 written" in out.getvalue()
    (event,) = firm_events(world_a.firm, "positions.imported")
    assert (event.actor_label, event.role) == ("import_positions command", "system")


def test_command_fails_naming_each_error_and_writes_nothing(world_a, world_b, tmp_path):
    path = tmp_path / "positions.csv"
    path.write_text(HEADER + GOOD_ROW + "ZETA-1001,VOO,1,,2024-03-01\n")
    before, err = lots(world_a.firm), io.StringIO()
    with pytest.raises(CommandError, match="nothing written"):
        call_command("import_positions", str(path), "--firm", "alpha", stderr=err)
    assert "row 3, account_number: unknown account number ••••1001" in err.getvalue()
    assert lots(world_a.firm) == before
    with pytest.raises(CommandError, match="No firm"):
        call_command("import_positions", str(path), "--firm", "nope")
