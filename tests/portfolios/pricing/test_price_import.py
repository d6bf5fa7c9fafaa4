"""Price imports: every bad input is named by row and column, and nothing is written."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from advisory.models import AuditEvent
from advisory.tenancy import firm_scope
from portfolios.models import Price
from portfolios.pricing import (
    PRESETS,
    CsvPriceSource,
    SamplePriceSource,
    enter_price,
    import_prices,
)
from portfolios.sample_data import ensure_securities, read_sample_closes
from tests import factories

SOURCE = "vendor-test"
HEADER = "symbol,date,close\n"
TODAY = timezone.localdate()


@pytest.fixture
def securities(voo, bnd):
    return {"VOO": voo, "BND": bnd}


def source(body: str | bytes, *, header: str = HEADER, mapping: str = "generic"):
    data = body if isinstance(body, bytes) else (header + body).encode()
    return CsvPriceSource(io.BytesIO(data), name=SOURCE, mapping=PRESETS[mapping])


def stored() -> dict[tuple[str, dt.date], Decimal]:
    rows = Price.objects.filter(source=SOURCE).values_list("security__symbol", "date", "close")
    return {(symbol, day): close for symbol, day, close in rows}


def rejected(body: str | bytes, **kwargs):
    """Import a file that must fail; check nothing was written; return the errors."""
    before = Price.objects.count()
    result = import_prices(source(body, **kwargs))
    assert not result.ok
    assert result.written == 0
    assert Price.objects.count() == before
    return result.errors


# --- valid files ------------------------------------------------------------


def test_valid_file_round_trips_exactly(securities):
    body = (
        "VOO,2025-01-02,501.25\n"
        "VOO,2025-01-03,0.000001\n"
        "BND,2025-01-02,999999999999.999999\n"
        " BND , 2025-01-03 , 72.1 \n"
    )
    result = import_prices(source(body))
    assert result.ok, result.errors
    assert (result.rows_read, result.written, result.skipped_existing) == (4, 4, 0)
    assert stored() == {
        ("VOO", dt.date(2025, 1, 2)): Decimal("501.25"),
        ("VOO", dt.date(2025, 1, 3)): Decimal("0.000001"),
        ("BND", dt.date(2025, 1, 2)): Decimal("999999999999.999999"),
        ("BND", dt.date(2025, 1, 3)): Decimal("72.1"),
    }
    assert all(isinstance(close, Decimal) for close in stored().values())


def test_reimporting_the_same_file_is_idempotent(securities):
    body = "VOO,2025-01-02,501.25\nBND,2025-01-02,72.10\n"
    assert import_prices(source(body)).written == 2
    again = import_prices(source(body))
    assert again.ok
    assert (again.written, again.skipped_existing) == (0, 2)
    assert Price.objects.filter(source=SOURCE).count() == 2


def test_other_sources_prices_for_the_same_day_are_kept_apart(securities):
    # The voo fixture stored 2025-12-31 at 512.34 from source "test".
    result = import_prices(source("VOO,2025-12-31,600.00\n"))
    assert result.ok and result.written == 1
    assert Price.objects.filter(security__symbol="VOO", date=dt.date(2025, 12, 31)).count() == 2


def test_custodian_preset_reads_us_dates(securities):
    header = "Symbol,Price Date,Closing Price\n"
    result = import_prices(source("VOO,01/02/2025,501.25\n", header=header, mapping="custodian"))
    assert result.ok, result.errors
    assert stored() == {("VOO", dt.date(2025, 1, 2)): Decimal("501.25")}


def test_custodian_preset_names_its_columns_and_format_in_errors(securities):
    header = "Symbol,Price Date,Closing Price\n"
    errors = rejected("VOO,2025-01-02,501.25\n", header=header, mapping="custodian")
    assert [str(e) for e in errors] == [
        "row 2, Price Date: date '2025-01-02' does not match the format MM/DD/YYYY"
    ]


def test_headers_match_ignoring_case_and_spaces(securities):
    result = import_prices(source("VOO,2025-01-02,1\n", header=" Symbol , DATE,Close\n"))
    assert result.ok, result.errors


def test_utf8_bom_is_accepted(securities):
    data = b"\xef\xbb\xbf" + (HEADER + "VOO,2025-01-02,501.25\n").encode()
    result = import_prices(source(data))
    assert result.ok, result.errors
    assert result.written == 1


def test_blank_lines_are_skipped_and_rows_keep_their_numbers(securities):
    errors = rejected("VOO,2025-01-02,1\n\nVOO,2025-01-03,-1\n")
    assert [e.row for e in errors] == [4]


def test_crlf_line_endings_and_quoted_cells(securities):
    data = b'symbol,date,close\r\n"VOO","2025-01-02","501.25"\r\n'
    result = import_prices(source(data))
    assert result.ok, result.errors


def test_bundled_sample_source_round_trips(db, classes):
    ensure_securities()
    result = import_prices(SamplePriceSource())
    assert result.ok, result.errors[:3]
    expected = read_sample_closes()
    assert result.written == sum(len(days) for days in expected.values())
    rows = Price.objects.filter(source="sample").values_list("security__symbol", "date", "close")
    assert {(s, d): c for s, d, c in rows} == {
        (s, d): c for s, days in expected.items() for d, c in days.items()
    }
    assert import_prices(SamplePriceSource()).skipped_existing == result.written


# --- bad cells: each names its row and column, nothing is written -------------


@pytest.mark.parametrize(
    ("close", "message"),
    [
        ("-3.10", "price must be positive (got -3.10)"),
        ("0", "price must be positive (got 0)"),
        ("0.000", "price must be positive (got 0.000)"),
        ("abc", "price is not a number (got 'abc')"),
        ("NaN", "price must be a finite number (got 'NaN')"),
        ("-nan", "price must be a finite number (got '-nan')"),
        ("Infinity", "price must be a finite number (got 'Infinity')"),
        ("inf", "price must be a finite number (got 'inf')"),
        ("1e3", "price must be written without an exponent (got '1e3')"),
        ("1.5E+2", "price must be written without an exponent (got '1.5E+2')"),
        ("1.1234567", "price has more than 6 decimal places (got 1.1234567)"),
        ("1000000000000", "price is too large (got 1000000000000)"),
        ("1,234.50", "price is not a number (got '1,234.50')"),
        ("$12.00", "price is not a number (got '$12.00')"),
        ("+12.00", "price is not a number (got '+12.00')"),
        ("1_000", "price is not a number (got '1_000')"),
        ("١٢", "price is not a number (got '١٢')"),
        ("", "price is required"),
    ],
)
def test_bad_close_is_rejected_with_its_row(securities, close, message):
    errors = rejected(f'VOO,2025-01-02,500\nBND,2025-01-02,"{close}"\n')
    assert [str(e) for e in errors] == [f"row 3, close: {message}"]


def test_trailing_zeros_beyond_six_places_are_not_rounding(securities):
    result = import_prices(source("VOO,2025-01-02,501.2500000000\n"))
    assert result.ok, result.errors
    assert stored()[("VOO", dt.date(2025, 1, 2))] == Decimal("501.25")


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2025-02-30", "date '2025-02-30' is not a real date"),
        ("2025-13-01", "date '2025-13-01' does not match the format YYYY-MM-DD"),
        ("2025/01/02", "date '2025/01/02' does not match the format YYYY-MM-DD"),
        ("01/02/2025", "date '01/02/2025' does not match the format YYYY-MM-DD"),
        ("2025-01-02T00:00", "date '2025-01-02T00:00' does not match the format YYYY-MM-DD"),
        ("1899-12-31", "date 1899-12-31 is before 1900"),
        ("", "date is required"),
    ],
)
def test_bad_date_is_rejected_with_its_row(securities, day, message):
    errors = rejected(f"VOO,2025-01-02,500\nVOO,{day},501\n")
    assert [str(e) for e in errors] == [f"row 3, date: {message}"]


def test_future_date_is_rejected(securities):
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    errors = rejected(f"VOO,{TODAY.isoformat()},500\nVOO,{tomorrow},501\n")
    assert [str(e) for e in errors] == [f"row 3, date: date {tomorrow} is in the future"]


def test_unknown_symbol_is_rejected(securities):
    errors = rejected("VOO,2025-01-02,500\nNOPE,2025-01-02,1\n")
    assert [str(e) for e in errors] == ["row 3, symbol: unknown symbol 'NOPE'"]


@pytest.mark.parametrize("symbol", ["=HYPERLINK(1)", "+VOO", "-VOO", "@SUM(A1)", "\tVOO", " =VOO"])
def test_formula_looking_symbol_is_rejected(securities, symbol):
    errors = rejected(f'VOO,2025-01-02,500\n"{symbol}",2025-01-02,1\n')
    assert len(errors) == 1
    assert (errors[0].row, errors[0].column) == (3, "symbol")
    assert "starts with a formula character" in errors[0].message


def test_several_errors_in_one_row_are_all_reported(securities):
    errors = rejected("NOPE,2025-02-30,-1\n")
    assert [(e.row, e.column) for e in errors] == [(2, "date"), (2, "close")]


def test_duplicate_rows_in_the_file_are_all_rejected(securities):
    errors = rejected("VOO,2025-01-02,500\nBND,2025-01-02,70\nVOO,2025-01-02,500\n")
    assert [str(e) for e in errors] == [
        "row 2, date: duplicate: VOO on 2025-01-02 is also on row 4",
        "row 4, date: duplicate: VOO on 2025-01-02 is also on row 2",
    ]


def test_stored_price_with_a_different_close_is_an_error(securities):
    assert import_prices(source("VOO,2025-01-02,500\n")).written == 1
    errors = rejected("BND,2025-01-02,70\nVOO,2025-01-02,501\n")
    assert [str(e) for e in errors] == [
        "row 3, close: VOO on 2025-01-02 is already stored from source 'vendor-test' "
        "with close 500.000000; this file says 501"
    ]
    assert stored()[("VOO", dt.date(2025, 1, 2))] == Decimal("500")


def test_row_with_the_wrong_number_of_cells(securities):
    errors = rejected("VOO,2025-01-02,500\nVOO,2025-01-03,501,extra\n")
    assert [str(e) for e in errors] == ["row 3: row has 4 cells, the header has 3"]


# --- bad files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("symbol,date\n", "missing column(s) 'close'"),
        ("symbol,date,close,volume\n", "unexpected column 'volume'"),
        ("ticker,date,close\n", "missing column(s) 'symbol'; unexpected column 'ticker'"),
        ("symbol,date,close,close\n", "column 'close' appears twice"),
        ("symbol;date;close\n", "another delimiter than a comma"),
    ],
)
def test_wrong_headers_are_a_file_error(securities, header, message):
    errors = rejected("VOO,2025-01-02,500\n", header=header)
    assert len(errors) == 1
    assert errors[0].row == 1
    assert message in errors[0].message
    assert str(errors[0]).startswith("row 1: ")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file: file is empty"),
        (b"\n \n", "file: file is empty"),
        (b"symbol,date,close\n", "file: file has a header but no data rows"),
        (b"symbol,date,close\nVOO,2025-01-02,\xe9\n", "file: file is not UTF-8 text (byte 0xe9"),
        (b"\xff\xfes\x00y\x00", "file: file looks like UTF-16 text"),
        (b"PK\x03\x04rest-of-a-zip", "file: file looks like a ZIP archive"),
        (b"symbol,date,close\nVOO\x00,2025-01-02,1\n", "file: file contains NUL bytes"),
        (b'symbol,date,close\nVOO,"2025-01-02,1\n', "file: unreadable CSV near line"),
    ],
)
def test_unreadable_files_are_a_file_error(securities, data, message):
    errors = rejected(data)
    assert len(errors) == 1
    assert str(errors[0]).startswith(message)


def test_oversized_file_is_refused(securities):
    data = (HEADER + "VOO,2025-01-02,500\n").encode().ljust(20 * 1024 * 1024 + 1, b"\n")
    errors = rejected(data)
    assert [str(e) for e in errors] == ["file: file is larger than the 20 MB limit"]


def test_oversized_file_on_disk_is_refused_before_reading(securities, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(20 * 1024 * 1024 + 1)
    result = import_prices(CsvPriceSource(path, name=SOURCE))
    assert [str(e) for e in result.errors] == ["file: file is larger than the 20 MB limit"]


def test_only_csv_or_txt_files_are_read(securities, tmp_path):
    path = tmp_path / "prices.xlsx"
    path.write_text(HEADER + "VOO,2025-01-02,500\n")
    result = import_prices(CsvPriceSource(path, name=SOURCE))
    assert [str(e) for e in result.errors] == [
        "file: expected a .csv or .txt file, got 'prices.xlsx'"
    ]


@pytest.mark.parametrize(
    "name", ["manual", "manual-alpha", "manualx", "sample", "Bad Name", "", "x" * 41]
)
def test_reserved_or_invalid_source_names_are_refused(name):
    with pytest.raises(ValueError, match="source name"):
        CsvPriceSource(io.BytesIO(b""), name=name)


# --- partial ------------------------------------------------------------------


def test_partial_writes_the_good_rows_and_reports_the_bad(securities):
    body = "VOO,2025-01-02,500\nVOO,2025-01-03,-1\nBND,2025-01-02,70\nNOPE,2025-01-02,1\n"
    result = import_prices(source(body), partial=True)
    assert not result.ok
    assert result.written == 2
    assert [(e.row, e.column) for e in result.errors] == [(3, "close"), (5, "symbol")]
    assert stored() == {
        ("VOO", dt.date(2025, 1, 2)): Decimal("500"),
        ("BND", dt.date(2025, 1, 2)): Decimal("70"),
    }


def test_partial_does_not_help_a_file_level_error(securities):
    result = import_prices(source("VOO,2025-01-02,500\n", header="a,b,c\n"), partial=True)
    assert result.written == 0
    assert [e.row for e in result.errors] == [1]


# --- manual entry -------------------------------------------------------------


def enter(world, *args, user=None):
    return enter_price(*args, firm=world.firm, entered_by=user or world.admin.user)


def test_admin_enters_a_price_for_the_firm_with_an_audit_event(world_a):
    price = enter(world_a, "VOO", dt.date(2025, 1, 2), "501.25")
    assert (price.source, price.close, price.date) == (
        "manual:alpha",
        Decimal("501.25"),
        dt.date(2025, 1, 2),
    )
    again = enter(world_a, "VOO", "2025-01-02", Decimal("501.250"))
    assert again.pk == price.pk
    with firm_scope(world_a.firm):
        events = list(AuditEvent.objects.filter(action="price.entered"))
    assert len(events) == 1
    assert events[0].actor_id == world_a.admin.user.pk
    assert events[0].changes["close"] == {"before": None, "after": "501.250000"}


def test_a_manual_price_entered_again_with_another_close_is_corrected(world_a):
    first = enter(world_a, "VOO", "2025-01-02", "501.25")
    fixed = enter(world_a, "VOO", "2025-01-02", "510.25")
    assert fixed.close == Decimal("510.25")
    assert list(
        Price.objects.filter(source=first.source, date=dt.date(2025, 1, 2)).values_list(
            "close", flat=True
        )
    ) == [Decimal("510.25")]
    with firm_scope(world_a.firm):
        event = AuditEvent.objects.get(action="price.corrected")
    assert event.changes["close"] == {"before": "501.250000", "after": "510.250000"}


def test_manual_entry_is_validated_like_a_file(world_a):
    with pytest.raises(ValidationError) as exc:
        enter(world_a, "NOPE", "2025-02-30", "-1")
    assert set(exc.value.message_dict) == {"date", "close"}
    with pytest.raises(TypeError, match="never floats"):
        enter(world_a, "VOO", "2025-01-02", 501.25)
    assert not Price.objects.filter(source__startswith="manual").exists()


def test_only_admins_enter_prices(world_a):
    with pytest.raises(PermissionDenied):
        enter(world_a, "VOO", "2025-01-02", "1", user=world_a.advisor.user)
    assert not Price.objects.filter(source__startswith="manual").exists()


def test_a_platform_operator_is_not_a_firm_admin(world_a):
    operator = factories.user("ops@platform.example")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    with pytest.raises(PermissionDenied):
        enter(world_a, "VOO", "2025-01-02", "1", user=operator)
    assert not Price.objects.filter(source__startswith="manual").exists()


# --- command ------------------------------------------------------------------


def test_command_imports_a_file(securities, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + "VOO,2025-01-02,500\n")
    out = io.StringIO()
    call_command("import_prices", str(path), "--source", SOURCE, stdout=out)
    assert "1 rows read, 1 written" in out.getvalue()
    assert stored() == {("VOO", dt.date(2025, 1, 2)): Decimal("500")}


def test_command_fails_naming_each_error_and_writes_nothing(securities, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("Symbol,Price Date,Closing Price\nVOO,01/02/2025,500\nVOO,01/03/2025,-2\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command(
            "import_prices", str(path), "--source", SOURCE, "--mapping", "custodian", stderr=err
        )
    assert "row 3, Closing Price: price must be positive (got -2)" in err.getvalue()
    assert stored() == {}


def test_command_loads_the_bundled_sample(db, classes):
    ensure_securities()
    out = io.StringIO()
    call_command("import_prices", "--sample", stdout=out)
    assert Price.objects.filter(source="sample").count() > 10_000
    with pytest.raises(CommandError, match="either a FILE or --sample"):
        call_command("import_prices")


@pytest.mark.parametrize("name", ["manual", "manual-alpha", "sample"])
def test_command_refuses_reserved_source_names(securities, tmp_path, name):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + "VOO,2025-01-02,500\n")
    with pytest.raises(CommandError, match="reserved"):
        call_command("import_prices", str(path), "--source", name)
    assert not Price.objects.filter(source=name).exists()


# --- fuzz ---------------------------------------------------------------------

_cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
_symbols = st.one_of(st.sampled_from(["VOO", "BND", " VOO", "NOPE", "voo", "=VOO"]), _cell_text)
_dates = st.one_of(
    st.dates(dt.date(1890, 1, 1), TODAY + dt.timedelta(days=3)).map(dt.date.isoformat),
    st.sampled_from(["2025-02-30", "2025-1-2", "01/02/2025", "2025-02-29"]),
    _cell_text,
)
_closes = st.one_of(
    st.decimals(min_value=-10, max_value=10**13, places=7, allow_nan=False).map(str),
    st.sampled_from(["NaN", "Infinity", "1e3", "0", "1,5", "12.", ".5", "0012.50"]),
    _cell_text,
)


_valid_rows = st.tuples(
    st.sampled_from(["VOO", "BND"]),
    st.dates(dt.date(2000, 1, 1), TODAY).map(dt.date.isoformat),
    st.decimals(min_value=Decimal("0.000001"), max_value=10**12 - 1, places=6).map(
        lambda d: format(d, "f")
    ),
)
_malformed_rows = st.tuples(_symbols, _dates, _closes)
_files = st.one_of(
    st.lists(_valid_rows, min_size=1, max_size=5),
    st.lists(st.one_of(_valid_rows, _malformed_rows), min_size=1, max_size=5),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=_files)
def test_fuzz_malformed_rows_are_rejected_atomically_or_round_trip(securities, rows):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # "\r\n" lines: cells with \r or \n get quoted
    writer.writerow(["symbol", "date", "close"])
    writer.writerows(rows)
    with transaction.atomic():
        before = Price.objects.count()
        result = import_prices(source(buffer.getvalue().encode("utf-8")))
        data_rows = [r for r in rows if any(c.strip() for c in r)]  # blank lines are skipped
        event("accepted" if result.ok else "rejected")
        if result.ok:
            assert result.written == len(data_rows) == Price.objects.count() - before
            got = stored()
            for symbol, day, close in data_rows:
                key = (symbol.strip(), dt.datetime.strptime(day.strip(), "%Y-%m-%d").date())
                assert got[key] == Decimal(close.strip())
        else:
            assert Price.objects.count() == before
            assert result.written == 0
            assert all(e.row is None or 1 <= e.row <= len(rows) + 1 for e in result.errors)
        if _plainly_valid(rows):
            assert result.ok, result.errors
        transaction.set_rollback(True)


def _plainly_valid(rows: list[tuple[str, str, str]]) -> bool:
    """An independent, stricter oracle: rows that must certainly be accepted."""
    keys = set()
    for symbol, day, close in rows:
        if symbol not in ("VOO", "BND") or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
            return False
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            return False
        if not (dt.date(1900, 1, 1) <= when <= TODAY) or (symbol, when) in keys:
            return False
        keys.add((symbol, when))
        if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,6})?", close) or Decimal(close) <= 0:
            return False
    return True
