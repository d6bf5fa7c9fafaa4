"""The client charts in portfolios/charts.py: plain data in, escaped SVG out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from portfolios.charts import MixBar, mix_chart, value_chart


def test_mix_chart_draws_both_bars_in_client_words():
    svg = mix_chart(
        [MixBar("US stocks", D("52.2"), D("50")), MixBar("<Bonds>", None, D("25"))],
        font_family="Report Sans",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'font-family="Report Sans"' in svg
    assert "Your mix" in svg and "Your target" in svg
    assert "52.2%" in svg and "50.0%" in svg and "25.0%" in svg
    assert "&lt;Bonds&gt;" in svg and "<Bonds>" not in svg  # labels escaped
    assert svg.count("<rect") == 2 + 3  # legend swatches + two bars and one unvalued
    for word in ("breach", "drift", "band"):
        assert word not in svg.lower()


def test_mix_chart_has_no_font_attribute_by_default():
    assert "font-family" not in mix_chart([MixBar("Bonds", D("10"), D("10"))])


def test_value_chart_line_and_range():
    points = [(dt.date(2026, 7, 1), D("1000.00")), (dt.date(2026, 9, 30), D("1250.50"))]
    svg = value_chart(list(reversed(points)))
    assert "<polyline" in svg
    assert "2026-07-01" in svg and "2026-09-30" in svg
    assert "$1,000" in svg and "$1,250" in svg


def test_value_chart_needs_two_dates():
    assert value_chart([]) == ""
    assert value_chart([(dt.date(2026, 7, 1), D("1"))]) == ""
    flat = [(dt.date(2026, 7, 1), D("0")), (dt.date(2026, 7, 2), D("0"))]
    assert "<polyline" in value_chart(flat)
