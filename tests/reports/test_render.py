"""The household report renderer: data in, PDF/A-3b out, nothing fetched from outside.

No database: the renderer takes a ReportData built here by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
from decimal import Decimal as D

import pypdf
import pytest

from reports.render import (
    STATIC_BASE,
    StaticFilesFetcher,
    html_to_pdf,
    render_household_report,
)
from reports.report_data import (
    Account,
    AllocationRow,
    Disclosure,
    Firm,
    Holding,
    ReportData,
    Totals,
    Trade,
    ValuePoint,
    from_json,
    to_json,
)

GENERATED_AT = dt.datetime(2026, 10, 1, 9, 30, tzinfo=dt.UTC)
AS_OF = dt.date(2026, 9, 30)
VTSM, VTBM = "Vanguard Total Stock Market ETF", "Vanguard Total Bond Market ETF"
VTIS = "Vanguard Total International Stock ETF"
HISTORY = ["1301250.40", "1298000.10", "1310422.75", "1322010.00", "1318500.55", "1340210.20"]
HISTORY += ["1351000.00", "1349870.35", "1362500.80", "1370020.00", "1366400.15", "1375900.60"]
HISTORY += ["1380150.00", "1384567.89"]
SOURCE = "Ballast daily closes (vendor: Tiingo)"
DISCLOSURES = (
    ("not-advice", "Not investment advice", 11, 3),
    ("methodology", "How we value your portfolio", 12, 2),
    ("small-cap-risk", "Risks of small-company stocks", 13, 1),
    ("past-performance", "Past performance", 14, 4),
)


def _holding(symbol, name, qty, price, value, weight, *, stale=False):
    return Holding(
        symbol=symbol,
        name=name,
        quantity=D(qty),
        price=D(price),
        price_date=AS_OF - dt.timedelta(days=9) if stale else AS_OF,
        price_source=SOURCE,
        value=D(value),
        weight=D(weight),
        stale=stale,
    )


def sample_report() -> ReportData:
    """The Whitfield household: 2 accounts, 6 holdings (one stale), 2 trades, 4 disclosures."""
    joint = Account(
        name="Whitfield Joint Brokerage Account for Long-Term Family Savings and Education",
        masked_number="••••4821",
        registration="Joint tenants",
        value=D("1234567.89"),
        holdings=(
            _holding("VTI", VTSM, "2100", "301.25", "632625.00", "51.24"),
            _holding("VXUS", VTIS, "3500", "66.10", "231350.00", "18.74"),
            _holding("BND", VTBM, "4000", "73.02", "292080.00", "23.66"),
            _holding(
                "VB", "Vanguard Small-Cap ETF", "330.5", "237.82", "78512.89", "6.36", stale=True
            ),
        ),
    )
    ira = Account(
        name="Dana Whitfield Roth IRA",
        masked_number="••••0917",
        registration="Roth IRA",
        value=D("150000.00"),
        holdings=(
            _holding("VTI", VTSM, "300", "301.25", "90375.00", "60.25"),
            _holding("BND", VTBM, "814.571", "73.02", "59625.00", "39.75"),
        ),
    )
    return ReportData(
        firm=Firm(name="Harbor & Pine Wealth Partners", brand_colour="#1d4ed8"),
        household="The Whitfield Family",
        advisor_name="Morgan Ellis, CFP®",
        advisor_email="morgan.ellis@harborpine.example",
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        as_of=AS_OF,
        price_source=SOURCE,
        totals=Totals(value_start=D("1301250.40"), value_end=D("1384567.89")),
        accounts=(joint, ira),
        allocation=(
            AllocationRow("US stocks", D("52.22"), D("50")),
            AllocationRow("International stocks", D("16.71"), D("20")),
            AllocationRow("Bonds", D("25.40"), D("25")),
            AllocationRow("Small-company stocks", D("5.67"), D("5")),
        ),
        history=tuple(
            ValuePoint(dt.date(2026, 7, 1) + dt.timedelta(days=7 * i), D(v))
            for i, v in enumerate(HISTORY)
        ),
        trades=(
            Trade(dt.date(2026, 8, 4), "buy", "VXUS", D("150"), D("9915.00"), "Joint ••••4821"),
            Trade(dt.date(2026, 8, 4), "sell", "VTI", D("33"), D("9941.25"), "Joint ••••4821"),
        ),
        disclosures=tuple(
            Disclosure(key, title, version_id, number, f"{title}. " + "Lorem ipsum text. " * 40)
            for key, title, version_id, number in DISCLOSURES
        ),
    )


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_household_report(sample_report(), generated_at=GENERATED_AT)


def test_report_data_round_trips_through_json():
    data = sample_report()
    raw = json.loads(json.dumps(to_json(data)))
    assert raw["totals"]["value_end"] == "1384567.89"
    assert raw["as_of"] == "2026-09-30"
    assert from_json(raw) == data
    assert to_json(from_json(raw)) == raw
    # exact Decimals, not floats: trailing zeros and precision survive
    assert from_json(raw).accounts[1].holdings[1].quantity == D("814.571")
    assert str(from_json(raw).accounts[1].value) == "150000.00"


def test_from_json_refuses_unknown_fields():
    raw = to_json(sample_report())
    raw["surprise"] = 1
    with pytest.raises(ValueError, match="surprise"):
        from_json(raw)


def test_report_carries_disclosures_dates_source_and_totals(rendered):
    pages = _text(rendered)
    text = "\n".join(pages)
    flat = re.sub(r"\s+", " ", text)
    assert len(pages) >= 2
    for _, title, version_id, number in DISCLOSURES:
        assert title in flat
        assert f"version {number} (id {version_id})" in flat
    assert "September 30, 2026" in flat  # as-of date
    assert SOURCE in flat
    assert "$1,384,567.89" in flat  # household total at the end of the period
    assert "$1,301,250.40" in flat  # … and at its start
    assert "+$83,317.49" in flat  # the change
    assert "$1,234,567.89" in flat  # an account's total
    assert "The Whitfield Family" in flat and "Harbor & Pine Wealth Partners" in flat
    assert "Morgan Ellis" in flat
    assert "Your mix and your target" in flat
    assert "(older price)" in flat  # the stale price is marked
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in page
        assert "Harbor & Pine Wealth Partners · The Whitfield Family" in page
    for word in ("breach", "drift", "band"):
        assert word not in flat.lower()


def test_report_is_pdf_a_3b_with_pinned_dates(rendered):
    reader = pypdf.PdfReader(io.BytesIO(rendered))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp or b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert b'pdfaid:conformance="B"' in xmp or b"<pdfaid:conformance>B" in xmp
    assert reader.metadata["/CreationDate"] == "D:20261001093000Z"
    assert reader.metadata["/ModDate"] == "D:20261001093000Z"


def test_fonts_are_embedded_from_the_project(rendered):
    reader = pypdf.PdfReader(io.BytesIO(rendered))
    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor.get_object()  # embedded, not referenced
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
    # Only the @font-face fonts ("Report Sans", static/fonts/DejaVuSans*.ttf): no system font.
    assert fonts == {"Report-Sans", "Report-Sans-Bold"}


def test_rerender_gives_the_same_text_and_bytes(rendered):
    again = render_household_report(from_json(to_json(sample_report())), generated_at=GENERATED_AT)
    assert _text(again) == _text(rendered)
    assert again == rendered  # byte-identical: same WeasyPrint, same fonts, pinned dates


HOSTILE = f"""<!doctype html><html><head>
<link rel="attachment" href="file:///etc/passwd" title="passwd">
<link rel="attachment" href="{STATIC_BASE}../../../../etc/passwd">
<link rel="stylesheet" href="file:///etc/passwd">
<style>
@import url("file:///etc/passwd");
@import url("http://127.0.0.1:9/x.css");
p {{ background: url("{STATIC_BASE}%2e%2e/%2e%2e/%2e%2e/etc/passwd"); }}
</style></head><body>
<p>Hostile template</p>
<img src="file:///etc/passwd" alt="">
<img src="http://127.0.0.1:9/x.png" alt="">
<img src="/etc/passwd" alt="">
<img src="{STATIC_BASE}fonts/../../../../../etc/passwd" alt="">
</body></html>"""


def test_renderer_fetches_nothing_but_static_files():
    fetcher = StaticFilesFetcher()
    pdf = html_to_pdf(HOSTILE, generated_at=GENERATED_AT, fetcher=fetcher)
    with open("/etc/passwd", "rb") as handle:
        passwd = handle.read()
    root_line = next(line for line in passwd.splitlines() if line.startswith(b"root:"))
    assert root_line not in pdf
    text = "\n".join(_text(pdf))
    assert "Hostile template" in text
    assert "root:" not in text
    assert not pypdf.PdfReader(io.BytesIO(pdf)).attachments
    assert "file:///etc/passwd" in fetcher.refused
    assert "http://127.0.0.1:9/x.png" in fetcher.refused
    assert "http://127.0.0.1:9/x.css" in fetcher.refused
    assert any(
        url.endswith("etc/passwd") and url.startswith(STATIC_BASE) for url in fetcher.refused
    )
    assert not any("passwd" in url for url in fetcher.served)


def test_fetcher_serves_static_files_only():
    fetcher = StaticFilesFetcher()
    response = fetcher.fetch(STATIC_BASE + "reports/report.css")
    assert b"@page" in response.read()
    for url in (
        STATIC_BASE + "fonts/../../config/settings/base.py",
        STATIC_BASE + "%2e%2e/config/settings/base.py",
        STATIC_BASE + "/etc/passwd",
        STATIC_BASE + "reports/missing.css",
        "https://example.com/reports/report.css",
        "file:///work/main/static/reports/report.css",
        "data:text/plain,hello",
    ):
        with pytest.raises(ValueError, match="only the project's static files"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 7


def test_generated_at_must_be_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        render_household_report(sample_report(), generated_at=dt.datetime(2026, 10, 1))


def test_long_tables_repeat_their_header_on_every_page():
    base = sample_report()
    many = tuple(
        _holding(f"T{i:03d}", f"A fund with a long descriptive name number {i}", "1", "1", "1", "1")
        for i in range(70)
    )
    account = dataclasses.replace(base.accounts[0], holdings=many)
    data = dataclasses.replace(base, accounts=(account,))
    pages = _text(render_household_report(data, generated_at=GENERATED_AT))
    spanned = [page for page in pages if "T0" in page]
    assert len(spanned) >= 2  # the table breaks across pages …
    for page in spanned:
        assert "Price date and source".upper() in page.upper()  # … and its header repeats
        assert "Investment".upper() in page.upper()
    flat = re.sub(r"\s+", " ", "\n".join(pages))
    assert "A fund with a long descriptive name number 69" in flat  # wrapped, not clipped
