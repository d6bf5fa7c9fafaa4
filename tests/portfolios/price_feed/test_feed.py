"""The nightly price feed: a drop directory (or a vendor class) loaded before drift runs."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django_scopes import scopes_disabled

from advisory.tenancy import firm_scope
from portfolios.imports.csv_rows import RawRow
from portfolios.models import (
    DriftRun,
    DriftSnapshot,
    Price,
    PriceFeedRun,
    PriceFeedState,
    TaxLot,
)
from portfolios.pricing import PriceSource
from portfolios.pricing.feed import run_configured_feed
from portfolios.pricing.feed_sources import FeedBatch, FeedSource
from portfolios.tasks import nightly
from tests import factories

NIGHT = dt.date(2026, 1, 2)
CLOSES = (
    "symbol,date,close\n"
    "VOO,2026-01-02,520.10\n"
    "BND,2026-01-02,-1\n"  # a bad row: rejected, reported
    "NOPE,2026-01-02,10\n"  # an unknown symbol: rejected, reported
)


@pytest.fixture
def drop(tmp_path, settings):
    settings.BALLAST_PRICE_FEED = "drop_directory"
    settings.BALLAST_PRICE_DROP_DIR = str(tmp_path)
    settings.BALLAST_PRICE_STALE_DAYS = 5
    return tmp_path


@pytest.fixture
def book(world_a, world_b, bnd, classes):
    """Firm A holds VOO (priced by the feed), BND (never priced) and IWM (priced a month
    ago: stale). Firm B holds VOO only."""
    iwm = factories.security("IWM", classes["us-large-cap"])
    factories.price(iwm, "200.00", dt.date(2025, 12, 1))
    for security in (bnd, iwm):
        TaxLot.objects.create(
            firm=world_a.firm, account=world_a.other_account, security=security,
            quantity=Decimal("5"), acquired_on=dt.date(2024, 1, 2),
        )  # fmt: skip
    return world_a


def feed_runs() -> list[PriceFeedRun]:
    return list(PriceFeedRun.objects.order_by("pk"))


def test_nightly_loads_the_drop_before_drift(
    drop, book, world_b, login, django_capture_on_commit_callbacks
):
    (drop / "closes.csv").write_text(CLOSES)
    with django_capture_on_commit_callbacks(execute=True):
        nightly.apply(kwargs={"as_of": NIGHT.isoformat()}).get()

    [run] = feed_runs()
    assert run.state == PriceFeedState.PARTIAL
    assert (run.rows_loaded, run.rows_rejected, run.price_date) == (1, 2, NIGHT)
    assert run.errors == [
        "closes.csv row 3, close: price must be positive (got -1)",
        "closes.csv row 4, symbol: unknown symbol 'NOPE'",
    ]
    assert (run.missing, run.stale) == (["BND"], ["IWM"])
    assert run.files[0]["outcome"] == "partial" and run.files[0]["loaded"] == 1
    assert Price.objects.get(security__symbol="VOO", date=NIGHT).close == Decimal("520.10")
    assert Price.objects.get(security__symbol="VOO", date=NIGHT).source == "feed"
    # Processed once: moved out of the drop directory.
    assert not (drop / "closes.csv").exists()
    assert [p.name.endswith("-closes.csv") for p in (drop / "processed").iterdir()] == [True]

    # Drift ran after the feed, with the feed's close: 10 VOO × 520.10.
    with firm_scope(book.firm):
        drift = DriftRun.objects.get(as_of=NIGHT)
        assert drift.created_at > run.finished_at
        snap = DriftSnapshot.objects.get(kind="account", subject_id=book.account.pk, as_of=NIGHT)
        assert snap.market_value - snap.cash_value == Decimal("5201.00")

    # The banner names firm A's own gaps on the drift runs page and the advisor home.
    drift_page = login(book.admin).get("/drift/runs/").content.decode()
    assert 'id="price-feed-banner"' in drift_page
    assert "No price for 1 of your holding:</strong> BND." in drift_page
    assert "Stale prices for 1 of your holding</strong> (older than 5 days): IWM." in drift_page
    assert "1 price loaded · 2 rows rejected" in drift_page  # the run's own facts
    assert "closes.csv row 4, symbol: unknown symbol &#x27;NOPE&#x27;" in drift_page
    home = login(book.advisor).get("/").content.decode()
    assert "No price for 1 of your holding:</strong> BND." in home
    # Firm B holds only VOO, which is fresh: no banner, and never firm A's symbols.
    b_home = login(world_b.advisor).get("/").content.decode()
    assert "price-feed-banner" not in b_home


def test_the_same_file_is_not_loaded_twice(drop, book):
    (drop / "closes.csv").write_text(CLOSES)
    first = run_configured_feed(NIGHT)
    prices = Price.objects.count()
    (drop / "again.csv").write_text(CLOSES)  # the same bytes under another name
    second = run_configured_feed(NIGHT)
    assert first.rows_loaded == 1
    assert second.files == [
        {"name": "again.csv", "sha256": first.files[0]["sha256"], "outcome": "duplicate"}
    ]
    assert (second.state, second.rows_loaded) == (PriceFeedState.NOTHING, 0)
    assert Price.objects.count() == prices
    third = run_configured_feed(NIGHT)  # nothing left in the directory
    assert third.files == [] and third.state == PriceFeedState.NOTHING


def test_a_clean_file_loads_and_says_so(drop, book):
    (drop / "a.csv").write_text("symbol,date,close\nVOO,2026-01-02,520.10\nBND,2026-01-02,71.5\n")
    run = run_configured_feed(NIGHT)
    assert (run.state, run.rows_loaded, run.rows_rejected, run.errors) == (
        PriceFeedState.LOADED, 2, 0, []
    )  # fmt: skip
    assert (run.missing, run.stale) == ([], ["IWM"])


def test_hostile_files_are_bounded_and_rejected_whole(drop, book, monkeypatch):
    monkeypatch.setattr("portfolios.pricing.feed_sources.MAX_FILE_BYTES", 200)
    (drop / "huge.csv").write_text("symbol,date,close\n" + "VOO,2026-01-02,1\n" * 50)
    (drop / "report.csv").write_bytes(b"%PDF-1.7 not prices")
    (drop / "upload.csv.part").write_text(CLOSES)  # still being written: left alone
    (drop / ".hidden.csv").write_text(CLOSES)
    os.symlink("/etc/hostname", drop / "link.csv")
    run = run_configured_feed(NIGHT)
    assert [(f["name"], f["outcome"]) for f in run.files] == [
        ("huge.csv", "rejected"),
        ("report.csv", "rejected"),
    ]
    assert run.errors == [
        "huge.csv: larger than the 0 MB limit",
        "report.csv file: file looks like a PDF document, not CSV",
    ]
    assert run.rows_loaded == 0 and run.state == PriceFeedState.PARTIAL
    assert sorted(p.name.split("-", 1)[1] for p in (drop / "rejected").iterdir()) == [
        "huge.csv",
        "report.csv",
    ]
    assert sorted(p.name for p in drop.iterdir() if p.is_file() or p.is_symlink()) == [
        ".hidden.csv", "link.csv", "upload.csv.part",
    ]  # fmt: skip


class _Rows(PriceSource):
    name = "vendor-api"

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        self.rows_ = rows

    def rows(self) -> Iterator[RawRow]:
        for n, (symbol, day, close) in enumerate(self.rows_, start=1):
            yield RawRow(n, {"symbol": symbol, "date": day, "close": close})


class VendorFeed(FeedSource):
    """A vendor's API stand-in (the edge that does not exist here), named by dotted path."""

    name = "vendor-test"

    def batches(self) -> Iterator[FeedBatch]:
        yield FeedBatch("eod 2026-01-02", prices=_Rows([("VOO", "2026-01-02", "519.99")]))


class BrokenVendorFeed(FeedSource):
    name = "vendor-broken"

    def batches(self) -> Iterator[FeedBatch]:
        raise ConnectionError("vendor API unreachable")


def test_a_vendor_class_named_in_settings(settings, book):
    settings.BALLAST_PRICE_FEED = f"{__name__}.VendorFeed"
    run = run_configured_feed(NIGHT)
    assert (run.source, run.state, run.rows_loaded) == ("vendor-test", PriceFeedState.LOADED, 1)
    assert Price.objects.get(source="vendor-api").close == Decimal("519.99")


def test_a_failing_source_is_recorded_and_drift_still_runs(
    settings, book, login, django_capture_on_commit_callbacks
):
    settings.BALLAST_PRICE_FEED = f"{__name__}.BrokenVendorFeed"
    with django_capture_on_commit_callbacks(execute=True):
        nightly.apply(kwargs={"as_of": NIGHT.isoformat()}).get()
    [run] = feed_runs()
    assert run.state == PriceFeedState.FAILED
    assert run.errors == ["source failed: ConnectionError: vendor API unreachable"]
    with scopes_disabled():
        assert DriftRun.objects.filter(firm=book.firm, as_of=NIGHT).exists()
    page = login(book.admin).get("/drift/runs/").content.decode()
    assert "<strong>Last night's price feed failed</strong>" in page


def test_a_manual_price_fills_the_firms_own_gap(drop, book, login):
    """The banner counts the firm's own manual close: BND is no longer missing for it."""
    run_configured_feed(NIGHT)
    with firm_scope(book.firm):
        from portfolios.pricing import enter_price

        enter_price("BND", NIGHT, "71.00", firm=book.firm, entered_by=book.admin.user)
    page = login(book.admin).get("/drift/runs/").content.decode()
    assert "No price for" not in page
    assert "IWM" in page  # still stale


def test_load_prices_command(drop, book, capsys):
    (drop / "closes.csv").write_text(CLOSES)
    with pytest.raises(CommandError, match="2 problem"):
        call_command("load_prices", "--as-of", NIGHT.isoformat())
    out = capsys.readouterr()
    assert "1 prices loaded, 2 rows rejected" in out.out
    assert "closes.csv: partial" in out.out
    assert "Held but never priced: BND" in out.out
    assert "closes.csv row 3, close: price must be positive (got -1)" in out.err
    (drop / "good.csv").write_text("symbol,date,close\nBND,2026-01-02,71.5\n")
    call_command("load_prices", "--as-of", NIGHT.isoformat())
    assert PriceFeedRun.objects.count() == 2
