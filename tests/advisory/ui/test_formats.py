"""The house number and date formats (advisory/templatetags/client_format.py): money, points,
weights and dates, Decimal edge cases included; the charts' axes (portfolios/charts.py); the
top bar's menu groups (advisory/templatetags/navigation.py)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal as D

import pytest
from django.template import Context, Template

from advisory.templatetags import client_format as f
from advisory.templatetags.navigation import nav_group
from portfolios.charts import BandBar, Series, band_chart, history_chart


@pytest.mark.parametrize(
    ("value", "money", "amount", "signed"),
    [
        (D("-84.55"), "-$84.55", "-84.55", "-$84.55"),
        (D("84.55"), "$84.55", "84.55", "+$84.55"),
        (D("-0.004"), "$0.00", "0.00", "$0.00"),  # rounds to nothing: no minus sign
        (D("0.004"), "$0.00", "0.00", "$0.00"),
        (D("-0.005"), "-$0.01", "-0.01", "-$0.01"),  # half away from zero
        (D("-0"), "$0.00", "0.00", "$0.00"),
        (D("0"), "$0.00", "0.00", "$0.00"),
        (D("1234567.891"), "$1,234,567.89", "1,234,567.89", "+$1,234,567.89"),
        (D("-98765432109876.50"), "-$98,765,432,109,876.50", "-98,765,432,109,876.50",
         "-$98,765,432,109,876.50"),
        (0, "$0.00", "0.00", "$0.00"),  # an empty sum() is the int 0
        (-12, "-$12.00", "-12.00", "-$12.00"),
        ("-3.10", "-$3.10", "-3.10", "-$3.10"),  # JSON keeps money as strings
        (None, "—", "—", "—"),
        ("not a number", "—", "—", "—"),
    ],
)  # fmt: skip
def test_money(value, money, amount, signed):
    assert f.money(value) == money
    assert f.amount(value) == amount
    assert f.signed_money(value) == signed


@pytest.mark.parametrize(
    ("value", "pts"),
    [
        (D("2.314"), "+2.31 pts"),
        (D("-0.4"), "-0.40 pts"),
        (D("-0.004"), "0.00 pts"),  # no "-0.00"
        (D("0.005"), "+0.01 pts"),
        (D("0"), "0.00 pts"),
        (D("-123.456"), "-123.46 pts"),
        (D("1234.5"), "+1,234.50 pts"),
        (None, "—"),
    ],
)
def test_signed_points(value, pts):
    assert f.pts(value) == pts


def test_weights_and_relative_drift():
    assert f.weight(D("60")) == "60.00%"
    assert f.weight(D("-0.001")) == "0.00%"
    assert f.weight(None) == "—"
    assert f.signed_pct(D("36.4")) == "+36%"
    assert f.signed_pct(D("-8.5")) == "-9%"
    assert f.signed_pct(D("-0.2")) == "0%"
    assert f.signed_pct(None) == "—"


def test_one_date_style():
    assert f.day(dt.date(2026, 11, 3)) == "Nov 3, 2026"
    assert f.day(None) == "—"
    moment = dt.datetime(2026, 11, 30, 14, 5, 9, tzinfo=dt.UTC)
    assert f.moment(moment) == "Nov 30, 2026, 14:05"
    assert f.day(moment) == "Nov 30, 2026"
    assert f.moment(None) == "—"
    assert f.long_date(dt.date(2026, 11, 3)) == "November 3, 2026"  # clients' documents


def test_the_filters_work_in_templates():
    out = Template(
        "{% load client_format %}{{ a|money }} {{ b|pts }} {{ c|amount }} {{ d|day }}"
    ).render(Context({"a": D("-84.55"), "b": D("2.31"), "c": None, "d": dt.date(2025, 12, 31)}))
    assert out == "-$84.55 +2.31 pts — Dec 31, 2025"


def _texts(svg: str) -> list[tuple[float, str, str]]:
    """(x, anchor, text) of every <text> of a chart, titles left out."""
    rows = []
    for m in re.finditer(
        r'<text x="([\d.]+)"[^>]*?(?:text-anchor="(\w+)")?[^>]*>(.*?)</text>', svg
    ):
        text = re.sub(r"<title>.*?</title>", "", m.group(3))
        rows.append((float(m.group(1)), m.group(2) or "start", text))
    return rows


def _inside(svg: str, width: int) -> None:
    for x, anchor, text in _texts(svg):
        w = f._decimal(len(text)) * D("6.6")  # 11-12px sans-serif, generously
        left = x - float(w) if anchor == "end" else x - float(w) / 2 if anchor == "middle" else x
        right = x if anchor == "end" else x + float(w) / 2 if anchor == "middle" else x + float(w)
        assert left >= 0 and right <= width, (text, left, right)


def test_band_chart_labels_fit_even_when_long():
    bars = [
        BandBar(
            "International developed markets equity", D("12"), D("15"), D("11"), D("19"), False
        ),
        BandBar("Cash", D("3"), D("2"), D("0"), D("4"), True),
    ]
    svg = band_chart(bars, width=760)
    _inside(svg, 760)
    assert "<title>International developed markets equity</title>" in svg  # whole on hover
    assert "…" in svg


def test_history_chart_axes_use_points_and_the_date_style():
    days = [dt.date(2025, 7, 31), dt.date(2025, 12, 31)]
    series = [
        Series(
            "International developed markets equity", [(days[0], D("1.2")), (days[1], D("-2.35"))]
        ),
        Series("Cash", [(days[0], D("0")), (days[1], D("0.4"))]),
    ]
    svg = history_chart(series, width=760)
    _inside(svg, 760)
    texts = [t for _, _, t in _texts(svg)]
    assert "+5 pts" in texts and "-5 pts" in texts and "0 pts" in texts
    assert "Jul 31, 2025" in texts and "Dec 31, 2025" in texts
    assert any(t.endswith("-2.4 pts") for t in texts)  # -2.35 as a float: -2.4


@pytest.mark.parametrize(
    ("url_name", "group"),
    [
        ("imports", "firm"),
        ("position_import_confirm", "firm"),
        ("firm_settings", "firm"),
        ("people", "firm"),
        ("models", "firm"),
        ("model_edit", "firm"),
        ("restrictions", "firm"),
        ("column_mappings", "firm"),
        ("audit_log", "compliance"),
        ("compliance_who_saw_what", "compliance"),
        ("disclosure_edit", "compliance"),
        ("drift_run_detail", "compliance"),
        ("home", ""),
        ("proposal_detail", ""),
        ("household_restrictions", ""),
        (None, ""),
    ],
)
def test_the_top_bar_groups(url_name, group):
    assert nav_group(url_name) == group
