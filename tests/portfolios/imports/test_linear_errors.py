"""Errors cost linear time and memory: a repeat names one row, reporting stops at 1,000."""

from __future__ import annotations

import io
import json

from django.core.files.uploadedfile import SimpleUploadedFile

from advisory.tenancy import firm_scope
from portfolios.imports.csv_rows import MAX_REPORTED_ERRORS, FirstSeen, RowError, RowErrors
from portfolios.imports.positions import plan_positions
from portfolios.models import TaxLot
from portfolios.pricing import CsvPriceSource, import_prices
from tests.factories import POSITIONS_HEADER as HEADER
from tests.factories import firm_events

LINE = "ALPHA-1001,VOO,12,6000.00,2024-03-01\n"


def plan(world, body: str):
    return plan_positions(world.firm, io.BytesIO((HEADER + body).encode()))


def test_row_errors_keep_the_first_thousand_and_count_the_rest():
    errors = RowErrors()
    for row in range(2, 5002):
        errors.append(RowError(row, None, "bad"))
    errors += [RowError(1, None, "more")]
    assert len(errors) == MAX_REPORTED_ERRORS == 1000
    assert errors.omitted == 4001
    assert errors.total == 5001
    assert errors[-1].row == 1001  # the first ones are kept, in the order found


def test_first_seen_names_the_first_row_only():
    seen = FirstSeen()
    assert [seen.first_row("k", row) for row in (2, 3, 4)] == [None, 2, 2]
    assert seen.first_row("other", 5) is None
    assert seen.repeated == {2: 2}


def test_identical_lines_name_row_2_and_stay_small(world_a, bnd):
    rows = 20_000
    result = plan(world_a, LINE * rows).result
    assert result.rows_read == rows
    assert result.error_count == rows  # every copy is refused, the first one too
    assert len(result.errors) == MAX_REPORTED_ERRORS
    assert result.errors_omitted == rows - MAX_REPORTED_ERRORS
    first, *repeats = result.errors
    assert str(first) == "row 2: duplicate: the same lot is on row 3"
    assert {e.message for e in repeats} == {"duplicate: the same lot is on row 2"}
    assert [e.row for e in repeats] == list(range(3, 3 + len(repeats)))
    # The stored error list (the import task keeps it as JSON) stays small: no row lists.
    stored = json.dumps([[e.row, e.column, e.message] for e in result.errors])
    assert len(stored) < 100_000
    assert max(len(e.message) for e in result.errors) < 60


def test_distinct_bad_rows_are_capped_with_a_count(world_a, bnd):
    body = "".join(f"ALPHA-1001,VOO,x{i},1.00,2024-03-01\n" for i in range(3_000))
    result = plan(world_a, body).result
    assert result.error_count == 3_000
    assert len(result.errors) == 1_000
    assert result.errors[0].row == 2 and result.errors[-1].row == 1001
    assert "3000 errors" in result.summary()


def test_a_header_of_many_unknown_columns_is_one_short_message(world_a):
    header = HEADER.strip() + "," + ",".join(f"extra{i}" for i in range(5_000)) + "\n"
    result = plan_positions(world_a.firm, io.BytesIO((header + LINE).encode())).result
    assert len(result.errors) == 1
    assert "and 4,990 more column problems" in result.errors[0].message
    assert len(result.errors[0].message) < 2_000


def test_planning_writes_nothing(world_a, bnd):
    events = len(firm_events(world_a.firm))
    before = lot_count(world_a)
    assert plan(world_a, LINE).groups  # a good file: a plan, still nothing written
    assert lot_count(world_a) == before
    assert len(firm_events(world_a.firm)) == events


def lot_count(world) -> int:
    with firm_scope(world.firm):
        return TaxLot.objects.count()


def test_price_files_report_duplicates_linearly(voo):
    body = "symbol,date,close\n" + "VOO,2025-01-02,500\n" * 5_000
    result = import_prices(CsvPriceSource(io.BytesIO(body.encode()), name="vendor-test"))
    assert result.written == 0
    assert result.error_count == 5_000
    assert len(result.errors) == 1_000
    assert str(result.errors[0]) == "row 2, date: duplicate: VOO on 2025-01-02 is also on row 3"
    assert {e.message for e in result.errors[1:]} == {
        "duplicate: VOO on 2025-01-02 is also on row 2"
    }


def test_the_error_page_stays_small(world_a, bnd, login):
    body = HEADER + "".join(f"ALPHA-1001,VOO,x{i},1.00,2024-03-01\n" for i in range(3_000))
    upload = SimpleUploadedFile("positions.csv", body.encode(), content_type="text/csv")
    response = login(world_a.admin).post(
        "/imports/positions/", {"file": upload, "preset": "generic"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was written: 3,000 problems in the file." in page
    assert "… and 2,000 more errors" in page
    assert page.count('<td class="nowrap">row ') == 1_000
    assert len(response.content) < 400_000


def test_a_partial_import_leaves_an_account_with_repeated_lines_alone(world_a, bnd):
    body = LINE * 3 + "ALPHA-1001,BND,1,,2024-05-01\n" + "ALPHA-1002,BND,2,,2024-05-01\n"
    result = plan_positions(world_a.firm, io.BytesIO((HEADER + body).encode()), partial=True)
    assert [a.account_number for a in result.groups] == ["ALPHA-1002"]
    assert [e.row for e in result.result.errors] == [2, 3, 4, None]
    assert result.result.errors[-1].message == "account ••••1001 left unchanged: it has bad rows"
