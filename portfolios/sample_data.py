"""Shared reference data for the demo and tests: asset classes, securities, sample prices.

Everything here is firm-agnostic (no scope needed) and idempotent. The prices are
SYNTHETIC (see ``portfolios/data/sample/README.md``), stored with source ``"sample"``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from portfolios.models import AssetClass, Price, Security

SAMPLE_DIR = Path(__file__).resolve().parent / "data" / "sample"
SECURITIES_CSV = SAMPLE_DIR / "securities.csv"
PRICES_CSV = SAMPLE_DIR / "sample_prices_2024_2025.csv"
SAMPLE_SOURCE = "sample"

# slug, name, parent slug, sort order. "Cash" must keep that name: valuation
# adds account cash balances to the class called "Cash".
ASSET_CLASSES: tuple[tuple[str, str, str | None, int], ...] = (
    ("equity", "Equity", None, 10),
    ("us-large-cap", "US large cap", "equity", 20),
    ("us-small-cap", "US small cap", "equity", 30),
    ("international", "International", "equity", 40),
    ("fixed-income", "Fixed income", None, 50),
    ("cash", "Cash", None, 60),
)


# Asset location: classes bought in tax-deferred accounts first in a household.
TAX_DEFERRED_FIRST = frozenset({"fixed-income"})


def ensure_asset_classes() -> dict[str, AssetClass]:
    """Create the asset-class tree if missing; return every class by slug."""
    classes = dict(AssetClass.objects.in_bulk(field_name="slug"))
    for slug, name, parent, order in ASSET_CLASSES:  # parents come first
        if slug not in classes:
            classes[slug] = AssetClass.objects.create(
                slug=slug,
                name=name,
                parent=classes.get(parent or ""),
                sort_order=order,
                prefers_tax_deferred=slug in TAX_DEFERRED_FIRST,
            )
    return classes


def ensure_securities() -> dict[str, Security]:
    """Create the demo security master from ``securities.csv``; return it by symbol."""
    classes = ensure_asset_classes()
    with SECURITIES_CSV.open(newline="") as f:
        rows = list(csv.DictReader(f))
    existing = Security.objects.in_bulk([r["symbol"] for r in rows], field_name="symbol")
    missing = [
        Security(
            symbol=r["symbol"],
            name=r["name"],
            security_type=r["security_type"],
            asset_class=classes[r["asset_class_slug"]],
        )
        for r in rows
        if r["symbol"] not in existing
    ]
    Security.objects.bulk_create(missing)
    return dict(Security.objects.in_bulk([r["symbol"] for r in rows], field_name="symbol"))


def read_sample_closes() -> dict[str, dict[dt.date, Decimal]]:
    """The sample closes from the CSV, by symbol then date (exact Decimals)."""
    closes: dict[str, dict[dt.date, Decimal]] = defaultdict(dict)
    with PRICES_CSV.open(newline="") as f:
        for row in csv.DictReader(f):
            closes[row["symbol"]][dt.date.fromisoformat(row["date"])] = Decimal(row["close"])
    return dict(closes)


def load_sample_prices() -> int:
    """Insert the sample closes, skipping rows already stored; return how many were new."""
    securities = ensure_securities()
    prices = [
        Price(security=securities[symbol], date=day, close=close, source=SAMPLE_SOURCE)
        for symbol, by_day in read_sample_closes().items()
        for day, close in by_day.items()
    ]
    days = [p.date for p in prices]
    stored = Price.objects.filter(
        source=SAMPLE_SOURCE,
        security__in=list(securities.values()),
        date__range=(min(days), max(days)),
    )
    before = stored.count()
    if before == len(prices):  # already loaded: skip ~10k no-op inserts
        return 0
    Price.objects.bulk_create(prices, batch_size=2000, ignore_conflicts=True)
    return stored.count() - before
