"""Server-side SVG charts: the one way Ballast draws a chart.

Pure functions from plain data to SVG markup, used by the web pages and (later)
the PDF reports alike. No inline styles or scripts (the CSP forbids them):
colours are presentation attributes and classes from the stylesheet.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

CURRENT, TARGET, BAND, BREACH, GRID, TEXT = (
    "#0f766e",
    "#0f172a",
    "#ccfbf1",
    "#b91c1c",
    "#e2e8f0",
    "#475569",
)
GRID_DARK = "#94a3b8"  # the target bar in client charts
SERIES = ["#0f766e", "#b45309", "#4338ca", "#be123c", "#0369a1", "#4d7c0f", "#7c3aed"]


@dataclass(frozen=True)
class BandBar:
    """One bucket of a model: where it is, where it should be, and its band."""

    label: str
    weight: Decimal | None  # None: not valued (stale prices)
    target: Decimal
    low: Decimal  # band edges in percent of the portfolio
    high: Decimal
    breached: bool
    projected: Decimal | None = None  # after proposed trades (rebalance pages)


def _num(value: float) -> str:
    return f"{value:.1f}"


def _text_width(text: str, size: float) -> float:
    """A generous estimate of a label's width in px (system sans-serif: ~0.6 em a glyph), so
    margins are sized to their labels instead of cutting them off."""
    return len(text) * size * 0.6


def _fit(text: str, size: float, room: float) -> str:
    """``text`` shortened with an ellipsis to fit ``room`` px (the full text goes in a title)."""
    if _text_width(text, size) <= room:
        return text
    keep = max(1, int(room / (size * 0.6)) - 1)
    return text[:keep].rstrip() + "…"


def _pts(value: float, places: int = 1) -> str:
    """Signed percentage points as the pages write them: +2.3 pts, -0.4 pts, 0 pts."""
    text = f"{value:+.{places}f}"
    if float(text) == 0:
        return "0 pts"
    return f"{text} pts"


def _day(day: dt.date) -> str:
    """The staff pages' date style (advisory.templatetags.client_format.day): Nov 30, 2026."""
    return f"{day:%b} {day.day}, {day.year}"


def band_chart(bars: list[BandBar], *, width: int = 760, title: str = "") -> SafeString:
    """Horizontal bars: current weight per bucket against its target and band."""
    row, right, top = 34, 70, 24
    # The label column is as wide as the longest label needs, within limits; a label longer
    # than the limit is shortened with an ellipsis and shown whole on hover.
    longest = max((_text_width(b.label, 12) for b in bars), default=0)
    left = int(min(240, max(110, longest + 20)))
    scale_max = float(max([b.high for b in bars] + [b.weight or 0 for b in bars] + [Decimal(10)]))
    scale_max = min(100.0, (int(scale_max / 10) + 1) * 10.0)
    plot = width - left - right
    height = top + row * len(bars) + 28

    def x(value: Decimal | float) -> float:
        return left + plot * float(value) / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" role="img" aria-label="{escape(title or "Allocation against target")}" '
        f'class="chart band-chart">'
    ]
    for tick in range(0, int(scale_max) + 1, 10):
        tx = _num(x(tick))
        parts.append(
            f'<line x1="{tx}" y1="{top - 6}" x2="{tx}" y2="{height - 22}" stroke="{GRID}"/>'
            f'<text x="{tx}" y="{height - 8}" font-size="11" fill="{TEXT}" '
            f'text-anchor="middle">{tick}%</text>'
        )
    for i, bar in enumerate(bars):
        y = top + i * row
        mid = y + row / 2 - 4
        parts.append(
            f'<text x="{left - 10}" y="{_num(mid + 4)}" font-size="12" fill="{TARGET}" '
            f'text-anchor="end"><title>{escape(bar.label)}</title>'
            f"{escape(_fit(bar.label, 12, left - 14))}</text>"
            f'<rect x="{_num(x(bar.low))}" y="{y + 2}" width="{_num(x(bar.high) - x(bar.low))}" '
            f'height="{row - 12}" fill="{BAND}"><title>band {bar.low:.2f}%–{bar.high:.2f}%'
            f"</title></rect>"
        )
        if bar.weight is not None:
            colour = BREACH if bar.breached else CURRENT
            parts.append(
                f'<rect x="{left}" y="{_num(mid - 5)}" width="{_num(x(bar.weight) - left)}" '
                f'height="10" rx="2" fill="{colour}">'
                f"<title>current {bar.weight:.2f}%</title></rect>"
                f'<text x="{_num(x(bar.weight) + 6)}" y="{_num(mid + 4)}" font-size="11" '
                f'fill="{colour}">{bar.weight:.1f}%</text>'
            )
        if bar.projected is not None:
            parts.append(
                f'<rect x="{left}" y="{_num(mid + 6)}" width="{_num(x(bar.projected) - left)}" '
                f'height="5" fill="#64748b"><title>projected {bar.projected:.2f}%</title></rect>'
            )
        tx = _num(x(bar.target))
        parts.append(
            f'<line x1="{tx}" y1="{y + 1}" x2="{tx}" y2="{y + row - 9}" stroke="{TARGET}" '
            f'stroke-width="2"><title>target {bar.target:.2f}%</title></line>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text value is escaped above)


@dataclass(frozen=True)
class Series:
    label: str
    points: list[tuple[dt.date, Decimal]]


def history_chart(
    series: list[Series], *, band: Decimal = Decimal(5), width: int = 760, height: int = 240
) -> SafeString:
    """Drift over time (percentage points), one line per bucket, with the ± band shaded."""
    dates = sorted({d for s in series for d, _ in s.points})
    if len(dates) < 2:
        return mark_safe("")
    left, top, bottom = 56, 12, 28
    # Each line ends in its label and last value; the right margin is sized to the longest
    # (within limits, longer names are shortened), so no label runs off the chart.
    ends = [f" {_pts(float(sorted(s.points)[-1][1]))}" for s in series]
    labels = [
        _fit(s.label, 11, 150 - _text_width(end, 11)) + end
        for s, end in zip(series, ends, strict=True)
    ]
    right = int(min(170, max(90, max(_text_width(t, 11) for t in labels) + 12)))
    values = [float(v) for s in series for _, v in s.points] + [float(band), -float(band)]
    pad = (max(values) - min(values)) * 0.08
    lo, hi = min(values) - pad, max(values) + pad
    first, last = dates[0].toordinal(), dates[-1].toordinal()

    def x(day: dt.date) -> float:
        return left + (width - left - right) * (day.toordinal() - first) / (last - first)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (hi - value) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'role="img" aria-label="Drift over time" class="chart history-chart">',
        f'<rect x="{left}" y="{_num(y(float(band)))}" width="{width - left - right}" '
        f'height="{_num(y(-float(band)) - y(float(band)))}" fill="{BAND}"/>',
        f'<line x1="{left}" y1="{_num(y(0))}" x2="{width - right}" y2="{_num(y(0))}" '
        f'stroke="{TEXT}" stroke-dasharray="3 3"/>',
    ]
    for tick in (-float(band), 0.0, float(band)):
        parts.append(
            f'<text x="{left - 6}" y="{_num(y(tick) + 4)}" font-size="10" fill="{TEXT}" '
            f'text-anchor="end">{_pts(tick, 0)}</text>'
        )
    for day in (dates[0], dates[-1]):
        anchor = "start" if day == dates[0] else "end"
        parts.append(
            f'<text x="{_num(x(day))}" y="{height - 8}" font-size="10" fill="{TEXT}" '
            f'text-anchor="{anchor}">{_day(day)}</text>'
        )
    label_ys = _spread([y(float(sorted(s.points)[-1][1])) + 4 for s in series], gap=13)
    for i, s in enumerate(series):
        colour = SERIES[i % len(SERIES)]
        path = " ".join(f"{_num(x(d))},{_num(y(float(v)))}" for d, v in sorted(s.points))
        last_value = sorted(s.points)[-1][1]
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            f'<text x="{width - right + 6}" y="{_num(label_ys[i])}" font-size="11" '
            f'fill="{colour}"><title>{escape(s.label)} {_pts(float(last_value), 2)}</title>'
            f"{escape(labels[i])}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (labels are escaped above)


def _spread(ys: list[float], gap: float) -> list[float]:
    """Move label positions apart so no two are closer than ``gap``, keeping their order."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = list(ys)
    for prev, cur in itertools.pairwise(order):
        placed[cur] = max(placed[cur], placed[prev] + gap)
    return placed


def _font(family: str) -> str:
    """A font-family attribute for the root (PDFs: SVG text does not inherit the page's CSS)."""
    return f' font-family="{escape(family)}"' if family else ""


@dataclass(frozen=True)
class MixBar:
    """One asset class for a client: their share of it next to the target share (percent)."""

    label: str
    weight: Decimal | None  # None: not valued
    target: Decimal


def mix_chart(
    bars: list[MixBar],
    *,
    width: int = 640,
    title: str = "Your mix and your target",
    font_family: str = "",
) -> SafeString:
    """Paired horizontal bars per asset class, "your mix" over "your target", for clients."""
    row, left, right, top = 40, 170, 60, 30
    scale_max = float(max([b.target for b in bars] + [b.weight or 0 for b in bars] + [Decimal(10)]))
    scale_max = min(100.0, (int(scale_max / 10) + 1) * 10.0)
    plot = width - left - right
    height = top + row * len(bars) + 24

    def x(value: Decimal | float) -> float:
        return left + plot * float(value) / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" role="img" aria-label="{escape(title)}" class="chart mix-chart"'
        f"{_font(font_family)}>",
        f'<rect x="{left}" y="4" width="10" height="10" fill="{CURRENT}"/>'
        f'<text x="{left + 16}" y="13" font-size="11" fill="{TEXT}">Your mix</text>'
        f'<rect x="{left + 90}" y="4" width="10" height="10" fill="{GRID_DARK}"/>'
        f'<text x="{left + 106}" y="13" font-size="11" fill="{TEXT}">Your target</text>',
    ]
    for tick in range(0, int(scale_max) + 1, 10):
        tx = _num(x(tick))
        parts.append(
            f'<line x1="{tx}" y1="{top - 4}" x2="{tx}" y2="{height - 20}" stroke="{GRID}"/>'
            f'<text x="{tx}" y="{height - 6}" font-size="10" fill="{TEXT}" '
            f'text-anchor="middle">{tick}%</text>'
        )
    for i, bar in enumerate(bars):
        y = top + i * row
        parts.append(
            f'<text x="{left - 10}" y="{_num(y + row / 2)}" font-size="12" fill="{TARGET}" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        if bar.weight is not None:
            parts.append(
                f'<rect x="{left}" y="{y + 6}" width="{_num(x(bar.weight) - left)}" height="12" '
                f'fill="{CURRENT}"/><text x="{_num(x(bar.weight) + 5)}" y="{y + 16}" '
                f'font-size="10" fill="{TEXT}">{bar.weight:.1f}%</text>'
            )
        parts.append(
            f'<rect x="{left}" y="{y + 20}" width="{_num(x(bar.target) - left)}" height="12" '
            f'fill="{GRID_DARK}"/><text x="{_num(x(bar.target) + 5)}" y="{y + 30}" '
            f'font-size="10" fill="{TEXT}">{bar.target:.1f}%</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (every text value is escaped above)


def value_chart(
    points: list[tuple[dt.date, Decimal]],
    *,
    width: int = 640,
    height: int = 200,
    font_family: str = "",
) -> SafeString:
    """Total value over time: one line, the first and last dates and the range of values."""
    points = sorted(points)
    if len(points) < 2 or points[0][0] == points[-1][0]:
        return mark_safe("")
    left, right, top, bottom = 90, 16, 12, 28
    values = [float(v) for _, v in points]
    pad = (max(values) - min(values)) * 0.1 or max(values) * 0.05 or 1.0
    lo, hi = min(values) - pad, max(values) + pad
    first, last = points[0][0].toordinal(), points[-1][0].toordinal()

    def x(day: dt.date) -> float:
        return left + (width - left - right) * (day.toordinal() - first) / (last - first)

    def y(value: float) -> float:
        return top + (height - top - bottom) * (hi - value) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'role="img" aria-label="Value over time" class="chart value-chart"{_font(font_family)}>'
    ]
    for tick in (min(values), max(values)):
        parts.append(
            f'<line x1="{left}" y1="{_num(y(tick))}" x2="{width - right}" y2="{_num(y(tick))}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{_num(y(tick) + 4)}" font-size="10" '
            f'fill="{TEXT}" text-anchor="end">${tick:,.0f}</text>'
        )
    for day, anchor in ((points[0][0], "start"), (points[-1][0], "end")):
        parts.append(
            f'<text x="{_num(x(day))}" y="{height - 8}" font-size="10" fill="{TEXT}" '
            f'text-anchor="{anchor}">{day.isoformat()}</text>'
        )
    path = " ".join(f"{_num(x(d))},{_num(y(float(v)))}" for d, v in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{CURRENT}" stroke-width="2"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  (no free text: dates and numbers only)
