"""Generate the SYNTHETIC sample prices and security master used by the demo and tests.

This is not market data. Each series is a geometric Brownian bridge pinned to a
few plausible anchor closes; only one anchor is real (IWM's record close of
$251.82 in early December 2025, from the seed articles). The output is fully
deterministic: a fixed seed and the standard library only.

Run from the project root (no Django needed)::

    python portfolios/data/sample/generate_sample_prices.py
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import math
import random
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRICES_CSV = HERE / "sample_prices_2024_2025.csv"
SECURITIES_CSV = HERE / "securities.csv"

SEED = 20251205
FIRST_DAY = dt.date(2024, 1, 2)
LAST_DAY = dt.date(2025, 12, 31)
# Anchor dates shared by every series: first day, mid-2024, end of 2024, the
# April 2025 sell-off, the end of July 2025 (before the small-cap rally), last day.
D0, D1, D2, D3, D4, D5 = (
    FIRST_DAY,
    dt.date(2024, 7, 1),
    dt.date(2024, 12, 31),
    dt.date(2025, 4, 8),
    dt.date(2025, 7, 31),
    LAST_DAY,
)
NOV_DIP, RECORD_DAY = dt.date(2025, 11, 20), dt.date(2025, 12, 5)
IWM_RECORD = Decimal("251.82")  # the one real anchor: IWM's record close, per the seeds

# symbol, name, security_type, asset_class_slug
SECURITIES: list[tuple[str, str, str, str]] = [
    ("AAPL", "Apple Inc.", "stock", "us-large-cap"),
    ("AGG", "iShares Core U.S. Aggregate Bond ETF", "etf", "fixed-income"),
    ("AMZN", "Amazon.com, Inc.", "stock", "us-large-cap"),
    ("BND", "Vanguard Total Bond Market ETF", "etf", "fixed-income"),
    ("GOOGL", "Alphabet Inc. Class A", "stock", "us-large-cap"),
    ("IEFA", "iShares Core MSCI EAFE ETF", "etf", "international"),
    ("IJR", "iShares Core S&P Small-Cap ETF", "etf", "us-small-cap"),
    ("IVV", "iShares Core S&P 500 ETF", "etf", "us-large-cap"),
    ("IWM", "iShares Russell 2000 ETF", "etf", "us-small-cap"),
    ("META", "Meta Platforms, Inc. Class A", "stock", "us-large-cap"),
    ("MSFT", "Microsoft Corporation", "stock", "us-large-cap"),
    ("NVDA", "NVIDIA Corporation", "stock", "us-large-cap"),
    ("QQQ", "Invesco QQQ Trust, Series 1", "etf", "us-large-cap"),
    ("SPY", "SPDR S&P 500 ETF Trust", "etf", "us-large-cap"),
    ("SWVXX", "Schwab Value Advantage Money Fund", "cash", "cash"),
    ("VB", "Vanguard Small-Cap ETF", "etf", "us-small-cap"),
    ("VBR", "Vanguard Small-Cap Value ETF", "etf", "us-small-cap"),
    ("VEA", "Vanguard FTSE Developed Markets ETF", "etf", "international"),
    ("VGIT", "Vanguard Intermediate-Term Treasury ETF", "etf", "fixed-income"),
    ("VOO", "Vanguard S&P 500 ETF", "etf", "us-large-cap"),
    ("VXUS", "Vanguard Total International Stock ETF", "etf", "international"),
]

# Plausible (approximate, not authoritative) closes at D0..D5. Large caps run
# ~+34% to the end of July 2025 while small caps make ~+10%; from August small
# caps rally harder (IWM +15% to its record, SPY +8%).
ANCHORS: dict[str, tuple[float, ...]] = {
    "SPY": (472.65, 545.34, 586.08, 496.48, 632.08, 681.92),
    "QQQ": (402.56, 482.21, 511.23, 422.70, 565.01, 614.35),
    "AAPL": (185.64, 216.75, 250.42, 172.42, 207.57, 262.18),
    "MSFT": (370.87, 456.73, 421.50, 354.56, 533.50, 488.36),
    "NVDA": (48.17, 124.30, 134.29, 96.30, 177.87, 186.52),
    "AMZN": (149.93, 197.20, 219.39, 170.66, 234.11, 229.84),
    "GOOGL": (138.17, 182.99, 189.30, 144.70, 191.90, 251.40),
    "META": (346.29, 504.68, 585.51, 516.25, 773.44, 668.92),
    "IWM": (198.04, 200.53, 220.96, 178.84, 218.13, 246.37),
    "VB": (211.48, 215.82, 237.31, 196.44, 238.52, 262.05),
    "IJR": (106.12, 105.63, 115.61, 96.84, 111.27, 123.46),
    "VBR": (181.24, 184.51, 197.62, 170.23, 199.64, 219.38),
    "VXUS": (57.62, 60.14, 58.02, 58.91, 68.73, 73.86),
    "VEA": (47.61, 49.53, 47.22, 48.64, 57.12, 61.05),
    "IEFA": (70.31, 73.42, 70.33, 72.12, 84.51, 89.97),
    "BND": (72.71, 71.93, 71.62, 72.33, 72.91, 74.08),
    "AGG": (98.72, 97.44, 96.81, 97.93, 98.62, 100.21),
    "VGIT": (58.71, 57.93, 58.42, 59.24, 59.71, 60.38),
}
# Small caps also peak on the record day and dip before it (IWM's record is exact).
EXTRA_ANCHORS: dict[str, dict[dt.date, float]] = {
    "IWM": {NOV_DIP: 232.60, RECORD_DAY: float(IWM_RECORD)},
    "VB": {NOV_DIP: 247.90, RECORD_DAY: 266.40},
    "IJR": {NOV_DIP: 116.70, RECORD_DAY: 125.80},
    "VBR": {NOV_DIP: 208.10, RECORD_DAY: 222.90},
}
# S&P 500 funds track SPY at a fixed ratio, as they do in practice.
TRACKS: dict[str, tuple[str, float]] = {"VOO": ("SPY", 0.91946), "IVV": ("SPY", 1.00452)}
DAILY_VOL: dict[str, float] = {
    "SPY": 0.010, "QQQ": 0.013, "AAPL": 0.016, "MSFT": 0.014, "NVDA": 0.030,
    "AMZN": 0.019, "GOOGL": 0.018, "META": 0.022, "IWM": 0.014, "VB": 0.012,
    "IJR": 0.014, "VBR": 0.012, "VXUS": 0.009, "VEA": 0.009, "IEFA": 0.009,
    "BND": 0.003, "AGG": 0.003, "VGIT": 0.0025,
}  # fmt: skip
# Shocks share a factor per group so related funds move together.
GROUP_OF = {s: c for s, _, _, c in SECURITIES}
GROUP_CORRELATION = 0.85
FIXED_PRICE = {"SWVXX": Decimal("1.00")}  # money-market sweep: a stable $1.00 NAV


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th ``weekday`` (Mon=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def observed(day: dt.date) -> dt.date:
    """Saturday holidays close the Friday before, Sunday ones the Monday after."""
    shift = {5: -1, 6: 1}.get(day.weekday(), 0)
    return day + dt.timedelta(days=shift)


def nyse_holidays(year: int) -> set[dt.date]:
    """The main NYSE full-day holidays (approximate: no one-off closures)."""
    return {
        observed(dt.date(year, 1, 1)),
        nth_weekday(year, 1, 0, 3),  # Martin Luther King Jr. Day
        nth_weekday(year, 2, 0, 3),  # Presidents' Day
        easter(year) - dt.timedelta(days=2),  # Good Friday
        nth_weekday(year, 5, 0, -1),  # Memorial Day
        observed(dt.date(year, 6, 19)),
        observed(dt.date(year, 7, 4)),
        nth_weekday(year, 9, 0, 1),  # Labor Day
        nth_weekday(year, 11, 3, 4),  # Thanksgiving
        observed(dt.date(year, 12, 25)),
    }


def business_days(first: dt.date, last: dt.date) -> list[dt.date]:
    holidays = set().union(*(nyse_holidays(y) for y in range(first.year, last.year + 1)))
    days, day = [], first
    while day <= last:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def anchors_for(symbol: str) -> dict[dt.date, float]:
    points = dict(zip((D0, D1, D2, D3, D4, D5), ANCHORS[symbol], strict=True))
    points.update(EXTRA_ANCHORS.get(symbol, {}))
    return dict(sorted(points.items()))


def group_shocks(days: list[dt.date], rng: random.Random) -> dict[str, list[float]]:
    """One standard-normal shock per group and day: the common factor."""
    groups = sorted(set(GROUP_OF.values()))
    return {g: [rng.gauss(0.0, 1.0) for _ in days] for g in groups}


def symbol_shocks(symbol: str, common: list[float], rng: random.Random) -> list[float]:
    """Daily log-return shocks: the group factor plus the symbol's own noise."""
    rho, vol = GROUP_CORRELATION, DAILY_VOL[symbol]
    own = math.sqrt(1 - rho * rho)
    return [vol * (rho * z + own * rng.gauss(0.0, 1.0)) for z in common]


def bridge(days: list[dt.date], anchors: dict[dt.date, float], shocks: list[float]) -> list[float]:
    """Geometric Brownian bridge: random-walk log prices pinned at every anchor."""
    index = {d: i for i, d in enumerate(days)}
    points = [(index[d], math.log(p)) for d, p in anchors.items()]
    logs = [0.0] * len(days)
    for (i0, y0), (i1, y1) in itertools.pairwise(points):
        n = i1 - i0
        walk = [0.0]
        for shock in shocks[i0 + 1 : i1 + 1]:
            walk.append(walk[-1] + shock)
        for k in range(n + 1):
            t = k / n
            logs[i0 + k] = y0 + (y1 - y0) * t + walk[k] - t * walk[n]
    return [math.exp(v) for v in logs]


def cents(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def iwm_record_holds(closes: list[Decimal], days: list[dt.date]) -> bool:
    """IWM's record close must be the series maximum, on the record day only."""
    record_at = days.index(RECORD_DAY)
    return closes[record_at] == IWM_RECORD and all(
        c < IWM_RECORD for i, c in enumerate(closes) if i != record_at
    )


def bridged_series(
    symbol: str, days: list[dt.date], common: list[float], rng: random.Random
) -> list[Decimal]:
    """A symbol's closes; IWM is redrawn (deterministically) until its record holds."""
    while True:
        shocks = symbol_shocks(symbol, common, rng)
        closes = [cents(p) for p in bridge(days, anchors_for(symbol), shocks)]
        if symbol != "IWM" or iwm_record_holds(closes, days):
            return closes


def generate(days: list[dt.date]) -> dict[str, list[Decimal]]:
    rng = random.Random(SEED)  # noqa: S311  (synthetic data, not security)
    factors = group_shocks(days, rng)
    series: dict[str, list[Decimal]] = {}
    for symbol in sorted(ANCHORS):
        series[symbol] = bridged_series(symbol, days, factors[GROUP_OF[symbol]], rng)
    for symbol, (base, ratio) in TRACKS.items():
        series[symbol] = [cents(float(c) * ratio) for c in series[base]]
    for symbol, price in FIXED_PRICE.items():
        series[symbol] = [price] * len(days)
    return series


def write_securities(path: Path = SECURITIES_CSV) -> None:
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["symbol", "name", "security_type", "asset_class_slug"])
        writer.writerows(sorted(SECURITIES))


def write_prices(series: dict[str, list[Decimal]], days: list[dt.date], path: Path) -> int:
    rows = 0
    with path.open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["symbol", "date", "close"])
        for symbol in sorted(series):
            for day, close in zip(days, series[symbol], strict=True):
                writer.writerow([symbol, day.isoformat(), f"{close:.2f}"])
                rows += 1
    return rows


def main() -> None:
    days = business_days(FIRST_DAY, LAST_DAY)
    series = generate(days)
    missing = {s for s, *_ in SECURITIES} - set(series)
    if missing:
        raise SystemExit(f"no prices generated for {sorted(missing)}")
    write_securities()
    rows = write_prices(series, days, PRICES_CSV)
    print(f"wrote {len(SECURITIES)} securities to {SECURITIES_CSV.name}")
    print(f"wrote {rows} closes ({len(series)} symbols x {len(days)} days) to {PRICES_CSV.name}")


if __name__ == "__main__":
    main()
