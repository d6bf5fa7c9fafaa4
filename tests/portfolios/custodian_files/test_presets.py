"""Each illustrative custodian preset reads its sample file exactly; totals and notes skipped."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from advisory.tenancy import firm_scope
from portfolios.imports import POSITION_PRESETS, import_positions
from portfolios.imports.csv_rows import CellError
from portfolios.imports.custodians import CUSTODIAN_PRESETS
from portfolios.imports.layout import number_text
from portfolios.models import TaxLot

DATA = Path(__file__).parent / "data"


def lots(world, account) -> list[tuple]:
    with firm_scope(world.firm):
        return sorted(
            (lot.security.symbol, lot.quantity, lot.cost_basis, lot.acquired_on)
            for lot in TaxLot.objects.filter(account=account).select_related("security")
        )


def test_schwab_style_sample(world_a, bnd):
    result = import_positions(
        world_a.firm, DATA / "schwab_positions.csv", mapping=POSITION_PRESETS["schwab"]
    )
    assert result.ok, [str(e) for e in result.errors]
    # Title line, cash line and "Account Total" skipped: two lots read.
    assert (result.rows_read, result.written) == (2, 2)
    assert lots(world_a, world_a.account) == [
        ("BND", Decimal("100"), None, dt.date(2024, 5, 1)),  # "--": unknown, never 0
        ("VOO", Decimal("1250.5"), Decimal("500123.45"), dt.date(2024, 3, 1)),
    ]


def test_fidelity_style_sample_cost_per_share(world_a, bnd):
    result = import_positions(
        world_a.firm, DATA / "fidelity_positions.csv", mapping=POSITION_PRESETS["fidelity"]
    )
    assert result.ok, [str(e) for e in result.errors]
    assert (result.rows_read, result.written) == (2, 2)  # "Total" row and disclaimers skipped
    assert lots(world_a, world_a.other_account) == [
        # 1,000.125 × $70.00 = 70,008.75
        ("BND", Decimal("1000.125"), Decimal("70008.75"), dt.date(2025, 1, 15)),
        # 3 × $401.2345 = 1,203.7035 → 1,203.70 (to the cent, half up)
        ("VOO", Decimal("3"), Decimal("1203.70"), dt.date(2024, 3, 1)),
    ]


def test_pershing_style_sample(world_a, bnd):
    result = import_positions(
        world_a.firm, DATA / "pershing_positions.csv", mapping=POSITION_PRESETS["pershing"]
    )
    assert result.ok, [str(e) for e in result.errors]
    assert (result.rows_read, result.written) == (2, 2)  # the TOTAL row skipped
    assert lots(world_a, world_a.account) == [
        ("BND", Decimal("15.5"), Decimal("1117.55"), dt.date(2023, 9, 15)),
        ("VOO", Decimal("2000"), None, dt.date(2024, 3, 1)),
    ]


def test_a_parenthesised_negative_is_read_as_negative_and_refused(world_a, bnd):
    body = (
        "ACCOUNT NO,SYMBOL,QUANTITY,TOTAL COST,TRADE DATE\n"
        'ALPHA-1001,VOO,(12.00),"1,000.00",20240301\n'
    )
    before = lots(world_a, world_a.account)
    result = import_positions(
        world_a.firm, io.BytesIO(body.encode()), mapping=POSITION_PRESETS["pershing"]
    )
    assert [str(e) for e in result.errors] == [
        "row 2, QUANTITY: quantity must not be negative (got -12.00)"
    ]
    assert lots(world_a, world_a.account) == before


def test_a_total_row_is_data_in_the_generic_layout(world_a, bnd):
    """Only the custodian presets skip totals: the generic layout reports the row."""
    body = "account_number,symbol,quantity,cost_basis,acquired_date\nTotal,,,,\n"
    result = import_positions(world_a.firm, io.BytesIO(body.encode()))
    assert not result.ok
    assert any(e.row == 2 for e in result.errors)


def test_a_title_line_without_the_header_nearby_is_a_file_error(world_a):
    body = "\n".join(["title"] * 25) + "\nAccount Number,Symbol,Quantity,Cost Basis,Date Acquired\n"
    result = import_positions(
        world_a.firm, io.BytesIO(body.encode()), mapping=POSITION_PRESETS["schwab"]
    )
    assert len(result.errors) == 1
    assert "no header row with the columns" in str(result.errors[0])
    assert "in the first 20 lines" in str(result.errors[0])


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("$1,234.56", "1234.56"),
        ("(12.00)", "-12.00"),
        ("-$3.50", "-3.50"),
        ("$-3.50", "-3.50"),
        ("1,000,000", "1000000"),
        ("42", "42"),
    ],
)
def test_formatted_numbers(text, plain):
    assert number_text(text, "formatted") == plain


@pytest.mark.parametrize("text", ["1,00.5", "12,3456", ",100"])
def test_misplaced_thousands_separators_are_refused(text):
    with pytest.raises(CellError, match="misplaced thousands separator"):
        number_text(text, "formatted")


def test_every_custodian_preset_is_marked_illustrative():
    assert set(CUSTODIAN_PRESETS) == {"schwab", "fidelity", "pershing"}
    assert all(p.illustrative for p in CUSTODIAN_PRESETS.values())
    assert all(key in POSITION_PRESETS for key in CUSTODIAN_PRESETS)
