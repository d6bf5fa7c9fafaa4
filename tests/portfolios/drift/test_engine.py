"""The drift engine on hand-computed portfolios (no database: plain DataFrames in and out).

Classes: 1 US large cap, 2 US small cap, 3 international, 4 bonds, 5 cash.
Every expected number is worked out by hand in the comment above its assertion.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal, localcontext

import numpy as np
import pandas as pd
import pytest

from portfolios.drift.engine import DriftResult, compute_drift
from tests.factories import (
    AS_OF,
    BONDS,
    CASH,
    INTL,
    LARGE,
    SMALL,
    make_inputs,
    row,
    target,
)

SECURITIES = {  # symbol: (security_id, asset_class_id)
    "VOO": (10, LARGE),
    "IWM": (20, SMALL),
    "VB": (21, SMALL),
    "IJR": (22, SMALL),
    "EFA": (30, INTL),
    "BND": (40, BONDS),
    "SPAXX": (50, CASH),
    "XYZ": (60, LARGE),
}


def pos(account_id, symbol, quantity, close, price_date=AS_OF):
    security_id, class_id = SECURITIES[symbol]
    return (account_id, security_id, symbol, class_id, quantity, close, price_date)


def run(*args, **kwargs) -> DriftResult:
    return compute_drift(make_inputs(*args, **kwargs))


def bucket(r: dict, label: str) -> dict:
    return next(b for b in r["buckets"] if b["bucket"] == label)


D = Decimal
# Model 1: US large cap 90 %, US small cap 10 %, bands 5 points / 25 % of target.
MODEL_90_10 = [target(1, 11, "90", cls=LARGE), target(1, 12, "10", cls=SMALL)]


def test_relative_band_catches_a_small_target_the_absolute_band_misses():
    result = run(
        [pos(1, "VOO", "10", "465.00"), pos(1, "IWM", "2", "175.00")],
        [(1, 100, 1, "0.00")],
        [(100, 1)],
        MODEL_90_10,
    )
    acct = row(result.accounts, 1)
    # 10 × 465.00 = 4650.00 and 2 × 175.00 = 350.00: total 5000.00.
    assert acct["market_value"] == D("5000.00")
    large, small = bucket(acct, "class:1"), bucket(acct, "class:2")
    # Large: 4650 / 5000 = 93 %: +3 points (inside 5), +3 / 90 = +3.3333 % (inside 25).
    assert (large["weight"], large["abs_drift"], large["rel_drift"]) == (
        "93.0000",
        "3.0000",
        "3.3333",
    )
    assert large["breached"] is False
    # Small: 350 / 5000 = 7 %: −3 points (inside 5) but −3 / 10 = −30 % of target (outside 25).
    assert (small["weight"], small["abs_drift"], small["rel_drift"]) == (
        "7.0000",
        "-3.0000",
        "-30.0000",
    )
    assert small["breached"] is True
    assert acct["status"] == "breached"
    assert acct["worst_bucket"] == "class:2"
    assert (acct["worst_abs_drift"], acct["worst_rel_drift"]) == (D("-3.0000"), D("-30.0000"))


def test_cash_balance_and_money_market_fund_fill_the_cash_bucket():
    model = [
        target(2, 21, "60", cls=LARGE),
        target(2, 22, "35", cls=BONDS),
        target(2, 23, "5", cls=CASH, abs_band="2"),
    ]
    result = run(
        [pos(1, "VOO", "10", "60.00"), pos(1, "BND", "5", "70.00"), pos(1, "SPAXX", "20", "1.00")],
        [(1, 100, 2, "30.00")],
        [(100, 2)],
        model,
    )
    acct = row(result.accounts, 1)
    # 600.00 + 350.00 + 20.00 (money market) + 30.00 cash = 1000.00.
    assert acct["market_value"] == D("1000.00")
    # Cash bucket: 30.00 balance + 20.00 fund = 50.00 = 5 % of 1000.00: on target.
    assert acct["cash_balance"] == D("30.00")
    assert acct["cash_value"] == D("50.00")
    assert acct["cash_weight"] == D("5.0000")
    cash = bucket(acct, "class:5")
    assert (cash["value"], cash["weight"], cash["abs_drift"]) == ("50.00", "5.0000", "0.0000")
    assert cash["abs_band"] == "2.0000"
    # 600 / 1000 = 60 %, 350 / 1000 = 35 %: every bucket on target.
    assert [b["weight"] for b in acct["buckets"]] == ["60.0000", "35.0000", "5.0000"]
    assert acct["status"] == "in_band"
    assert acct["worst_bucket"] is None


def test_household_weighs_its_accounts_by_value_not_by_average():
    result = run(
        [pos(1, "VOO", "20", "450.00"), pos(2, "IWM", "5", "200.00")],
        [(1, 100, 1, "0.00"), (2, 100, 1, "0.00")],
        [(100, 1)],
        MODEL_90_10,
    )
    one, two, house = row(result.accounts, 1), row(result.accounts, 2), row(result.households, 100)
    # Account 1: 20 × 450.00 = 9000.00, all large cap: +10 points and −10 points. Both
    # breach; equal |drift| → the first bucket in model order (large cap, 90 %) is the worst.
    assert one["market_value"] == D("9000.00")
    assert [b["weight"] for b in one["buckets"]] == ["100.0000", "0.0000"]
    assert (one["worst_bucket"], one["worst_abs_drift"]) == ("class:1", D("10.0000"))
    # +10 / 90 = 11.1111 % of target.
    assert one["worst_rel_drift"] == D("11.1111")
    # Account 2: 5 × 200.00 = 1000.00, all small cap: −90 and +90 points.
    assert [b["weight"] for b in two["buckets"]] == ["0.0000", "100.0000"]
    assert (two["status"], two["worst_abs_drift"]) == ("breached", D("-90.0000"))
    # Household: 9000 + 1000 = 10000.00, large 9000 / 10000 = 90 %, small 10 %: on target,
    # while the average of the account weights would say 50 % / 50 %.
    assert house["market_value"] == D("10000.00")
    assert [b["weight"] for b in house["buckets"]] == ["90.0000", "10.0000"]
    assert [b["abs_drift"] for b in house["buckets"]] == ["0.0000", "0.0000"]
    assert house["status"] == "in_band"
    assert row(result.accounts, 1)["household_id"] == 100


def test_stale_price_makes_account_and_household_incomplete_without_valuing_it_at_zero():
    # as_of 2025-12-31 − 5 days = 2025-12-26: a close from the 26th still counts, the 25th not.
    result = run(
        [
            pos(1, "VOO", "10", "465.00", dt.date(2025, 12, 26)),
            pos(1, "IWM", "2", "175.00", dt.date(2025, 12, 25)),
            pos(2, "VOO", "1", "465.00"),
        ],
        [(1, 100, 1, "100.00"), (2, 100, 1, "0.00")],
        [(100, 1)],
        MODEL_90_10,
    )
    acct = row(result.accounts, 1)
    assert acct["status"] == "incomplete"
    assert acct["missing_symbols"] == ["IWM"]
    # Counted: 10 × 465.00 + 100.00 cash = 4750.00; IWM is named, not counted as 0.00.
    assert acct["market_value"] == D("4750.00")
    small = bucket(acct, "class:2")
    assert small["value"] is None  # unknown, not "0.00"
    assert small["weight"] is None and small["breached"] is None
    assert bucket(acct, "class:1")["value"] == "4650.00"
    assert acct["cash_weight"] is None
    assert acct["worst_bucket"] is None
    assert row(result.accounts, 2)["status"] == "breached"  # 100 % large: a clean account
    house = row(result.households, 100)
    assert (house["status"], house["missing_symbols"]) == ("incomplete", ["IWM"])
    # 4750.00 + 465.00 = 5215.00
    assert house["market_value"] == D("5215.00")


def test_unpriced_holdings_are_named_once_and_sorted():
    result = run(
        [
            pos(1, "VOO", "10", "100.00"),
            pos(1, "XYZ", "3", None, None),  # never priced, two lots
            pos(1, "XYZ", "4", None, None),
            pos(1, "IWM", "1", "50.00", dt.date(2025, 1, 2)),  # stale
            pos(1, "EFA", "2", None, dt.date(2025, 12, 31)),  # no close: in no bucket of model 1
        ],
        [(1, 100, 1, "0.00")],
        [(100, 1)],
        MODEL_90_10,
    )
    acct = row(result.accounts, 1)
    assert acct["status"] == "incomplete"
    assert acct["missing_symbols"] == ["EFA", "IWM", "XYZ"]
    # Only VOO counts: 10 × 100.00 = 1000.00.
    assert acct["market_value"] == D("1000.00")
    # XYZ is large cap too, so the large-cap bucket is incomplete as well; EFA makes an
    # unassigned bucket of unknown value appear.
    assert bucket(acct, "class:1")["value"] is None
    assert [b["bucket"] for b in acct["buckets"]] == ["class:1", "class:2", "unassigned"]
    assert bucket(acct, "unassigned")["value"] is None


def test_account_without_model_still_reports_its_value():
    result = run(
        [pos(1, "VOO", "3", "100.00")],
        [(1, 100, None, "100.00")],
        [(100, None)],
        MODEL_90_10,
    )
    acct, house = row(result.accounts, 1), row(result.households, 100)
    # 3 × 100.00 + 100.00 cash = 400.00; cash 100 / 400 = 25 %.
    assert acct["status"] == "no_model"
    assert acct["model_id"] is None
    assert acct["market_value"] == D("400.00")
    assert (acct["cash_value"], acct["cash_weight"]) == (D("100.00"), D("25.0000"))
    assert acct["buckets"] == []
    assert acct["worst_bucket"] is None and acct["worst_abs_drift"] is None
    assert (house["status"], house["market_value"]) == ("no_model", D("400.00"))


def test_household_model_applies_even_when_its_accounts_have_none():
    result = run(
        [pos(1, "VOO", "9", "100.00"), pos(2, "IWM", "1", "100.00")],
        [(1, 100, None, "0.00"), (2, 100, None, "0.00")],
        [(100, 1)],
        MODEL_90_10,
    )
    assert row(result.accounts, 1)["status"] == "no_model"
    house = row(result.households, 100)
    # 900 / 1000 = 90 %, 100 / 1000 = 10 %.
    assert house["model_id"] == 1
    assert [b["weight"] for b in house["buckets"]] == ["90.0000", "10.0000"]
    assert house["status"] == "in_band"


def test_security_target_collects_its_equivalents_before_the_class_target():
    # Model 3: IWM itself 10 % (VB counts as IWM), rest of small cap 20 %, large cap 70 %.
    model = [
        target(3, 31, "10", sec=20),
        target(3, 32, "20", cls=SMALL),
        target(3, 33, "70", cls=LARGE),
    ]
    positions = [
        pos(1, "IWM", "5", "100.00"),  # 500.00
        pos(1, "VB", "5", "100.00"),  # 500.00
        pos(1, "IJR", "20", "100.00"),  # 2000.00
        pos(1, "VOO", "70", "100.00"),  # 7000.00
    ]
    result = run(positions, [(1, 100, 3, "0.00")], [(100, 3)], model, equivalents=[(31, 21)])
    acct = row(result.accounts, 1)
    # Bucket order: weight descending. IWM + VB = 1000.00 = 10 % of 10000.00; IJR alone is the
    # small-cap class bucket: 2000.00 = 20 %; VOO 7000.00 = 70 %. Nothing unassigned.
    assert [(b["bucket"], b["value"], b["weight"]) for b in acct["buckets"]] == [
        ("class:1", "7000.00", "70.0000"),
        ("class:2", "2000.00", "20.0000"),
        ("security:20", "1000.00", "10.0000"),
    ]
    assert bucket(acct, "security:20")["security_id"] == 20
    assert bucket(acct, "security:20")["asset_class_id"] is None
    assert acct["status"] == "in_band"
    # Without the equivalent, VB falls back to its class: small cap 2500.00 = 25 % (+5 points,
    # +25 % of target: both exactly on their band, so still in band), IWM 500.00 = 5 %
    # (−5 points, −50 % of target: breached).
    plain = row(run(positions, [(1, 100, 3, "0.00")], [(100, 3)], model).accounts, 1)
    assert bucket(plain, "class:2")["value"] == "2500.00"
    assert bucket(plain, "class:2")["breached"] is False
    assert bucket(plain, "security:20")["breached"] is True


def test_half_cent_rounds_up_exactly_where_float_would_not():
    # Binary floating point stores 0.5 × 2.01 = 1.005 as 1.00499999…, which rounds to 1.00.
    assert round(0.5 * 2.01, 2) == 1.0
    result = run(
        [pos(1, "VOO", "0.5", "2.01"), *[pos(2, "VOO", "0.5", "2.01")] * 3],
        [(1, 100, 1, "0.00"), (2, 100, 1, "0.00")],
        [(100, 1)],
        MODEL_90_10,
    )
    # Exactly 1.005 → 1.01 (half up).
    assert row(result.accounts, 1)["market_value"] == D("1.01")
    assert bucket(row(result.accounts, 1), "class:1")["value"] == "1.01"
    # Three lots: 3 × 1.005 = 3.015 → 3.02; rounding each lot first would give 3.03.
    assert row(result.accounts, 2)["market_value"] == D("3.02")
    # Household: 1.005 + 3.015 = 4.020 → 4.02 (not 1.01 + 3.02 = 4.03).
    assert row(result.households, 100)["market_value"] == D("4.02")


def test_an_account_with_many_lots_sums_exactly():
    # 601 lots of 0.5 × 2.01 = 601 × 1.005 = 604.005 → 604.01 (more than 512 rows in one bucket
    # takes the int64 summing path).
    result = run(
        [pos(1, "VOO", "0.5", "2.01")] * 601, [(1, 100, 1, "0.00")], [(100, 1)], MODEL_90_10
    )
    assert row(result.accounts, 1)["market_value"] == D("604.01")
    assert bucket(row(result.households, 100), "class:1")["value"] == "604.01"


def test_large_quantities_and_prices_stay_exact():
    # 123456789.123456789 × 98765.432109 = 12193263124567.901113374638001: 32 significant
    # digits, more than Decimal's default 28-digit context keeps. + 0.01 cash → …567.91.
    quantity, close = D("123456789.123456789"), D("98765.432109")
    with localcontext() as ctx:
        ctx.prec = 60
        assert quantity * close == D("12193263124567.901113374638001")
    result = run(
        [
            pos(1, "VOO", str(quantity), str(close)),
            # 2·10⁹ shares (≥ 2⁶⁰ units of 10⁻⁹) × 0.000001 = 2000.000000
            pos(2, "VOO", "2000000000", "0.000001"),
            # a close ≥ 2⁴⁰ units of 10⁻⁶: 0.000000001 × 1500000.000001 = 0.001500000000001
            pos(2, "IWM", "0.000000001", "1500000.000001"),
            # 1.5 × 1234567.890123 = 1851851.8351845
            pos(2, "EFA", "1.5", "1234567.890123"),
        ],
        [(1, 100, 1, "0.01"), (2, 100, 1, "0")],
        [(100, 1)],
        [],
    )
    assert row(result.accounts, 1)["market_value"] == D("12193263124567.91")
    # 2000 + 0.001500000000001 + 1851851.8351845 = 1853851.836684500000001 → …851.84
    assert row(result.accounts, 2)["market_value"] == D("1853851.84")


def test_a_negative_cash_balance_rounds_away_from_zero():
    # 0.5 × 2.01 − 10.00 = −8.995 → −9.00, as advisory.money.to_cents rounds.
    result = run([pos(1, "VOO", "0.5", "2.01")], [(1, 100, None, "-10.00")], [(100, None)], [])
    acct = row(result.accounts, 1)
    assert (acct["market_value"], acct["cash_value"]) == (D("-9.00"), D("-10.00"))


def test_cash_only_account_is_all_cash():
    result = run(
        [],
        [(1, 100, 1, "1000.00"), (2, 100, 2, "250.00"), (3, 100, 1, "0.00")],
        [(100, 1)],
        [
            *MODEL_90_10,
            target(2, 21, "60", cls=LARGE),
            target(2, 22, "35", cls=BONDS),
            target(2, 23, "5", cls=CASH),
        ],
    )
    one = row(result.accounts, 1)
    # Model 1 has no cash target: the 1000.00 is unassigned, 100 % against a target of 0
    # and its 5-point band; large and small cap sit at 0 % (−90, −10).
    assert (one["market_value"], one["cash_value"], one["cash_weight"]) == (
        D("1000.00"),
        D("1000.00"),
        D("100.0000"),
    )
    unassigned = bucket(one, "unassigned")
    assert (unassigned["value"], unassigned["weight"], unassigned["target"]) == (
        "1000.00",
        "100.0000",
        "0.0000",
    )
    assert unassigned["rel_drift"] is None and unassigned["rel_band"] is None
    assert unassigned["breached"] is True
    assert (one["worst_bucket"], one["worst_abs_drift"], one["worst_rel_drift"]) == (
        "unassigned",
        D("100.0000"),
        None,
    )
    # Model 2 (60 / 35 / 5 % cash): cash is 100 %, +95 points, the largest of −60, −35, +95.
    two = row(result.accounts, 2)
    assert (two["worst_bucket"], two["worst_abs_drift"]) == ("class:5", D("95.0000"))
    # Nothing at all: nothing to weigh, nothing breached, no weights.
    three = row(result.accounts, 3)
    assert (three["market_value"], three["status"], three["cash_weight"]) == (
        D("0.00"),
        "in_band",
        None,
    )
    assert [b["weight"] for b in three["buckets"]] == [None, None]


def test_drift_exactly_on_the_band_is_inside():
    # Model 4: small cap 20 %, large cap 80 %, 5 points / 25 % of target.
    model = [target(4, 41, "20", cls=SMALL), target(4, 42, "80", cls=LARGE)]
    result = run(
        [
            # Account 1: 3 × 0.15 = 0.45 small, 2.55 large: 3.00. 0.45 / 3 = 15 %: −5 points,
            # −5 / 20 = −25 % (both exactly on the band); large 85 %: +5 points, +6.25 %.
            pos(1, "IWM", "3", "0.15"),
            pos(1, "VOO", "1", "2.55"),
            # Account 2: 14.99 small of 100.00: −5.01 points (−25.05 %): outside. Large 85.00
            # (+5: on the band); the 0.01 cash is unassigned (0.01 %).
            pos(2, "IWM", "14.99", "1"),
            pos(2, "VOO", "85", "1"),
        ],
        [(1, 100, 4, "0.00"), (2, 100, 4, "0.01")],
        [(100, 4)],
        model,
    )
    one = row(result.accounts, 1)
    assert [(b["weight"], b["abs_drift"], b["rel_drift"]) for b in one["buckets"]] == [
        ("85.0000", "5.0000", "6.2500"),
        ("15.0000", "-5.0000", "-25.0000"),
    ]
    assert [b["breached"] for b in one["buckets"]] == [False, False]
    assert one["status"] == "in_band"
    two = row(result.accounts, 2)
    assert bucket(two, "class:2")["abs_drift"] == "-5.0100"
    assert bucket(two, "class:2")["rel_drift"] == "-25.0500"
    assert (two["status"], two["worst_bucket"]) == ("breached", "class:2")


def test_weights_round_half_up_exactly_where_float_lands_below_the_half():
    result = run(
        [
            # 1,234,565.00 of 10,000,000.00 = 12.34565 % exactly → 12.3457 (half up); in
            # float64 the quotient comes out as 12.3456499999…, which would round to 12.3456.
            pos(1, "VOO", "1234565", "1"),
            pos(1, "IWM", "8765435", "1"),  # 87.65435 % → 87.6544
            # 1.00 of 2,000,000.00 = 0.00005 % → 0.0001 (float: 0.0000499999…).
            pos(2, "VOO", "1", "1"),
            pos(2, "IWM", "1999999", "1"),  # 99.99995 % → 100.0000
        ],
        [(1, 100, 1, "0"), (2, 100, 1, "0")],
        [(100, 1)],
        MODEL_90_10,
    )
    assert [b["weight"] for b in row(result.accounts, 1)["buckets"]] == ["12.3457", "87.6544"]
    assert [b["weight"] for b in row(result.accounts, 2)["buckets"]] == ["0.0001", "100.0000"]


def test_untargeted_holdings_above_five_percent_breach():
    # Model 5: large 90 % with a 10-point band, small 10 %. EFA (international) is in no bucket.
    model = [
        target(5, 51, "90", cls=LARGE, abs_band="10", rel_band="25"),
        target(5, 52, "10", cls=SMALL),
    ]
    result = run(
        [
            pos(1, "VOO", "85", "1"),  # 85 % (−5, inside 10)
            pos(1, "IWM", "10", "1"),
            pos(1, "EFA", "5", "1"),  # 5 %: exactly the unassigned band
            pos(2, "VOO", "84", "1"),  # 84 % (−6, inside 10; −6.67 % of target)
            pos(2, "IWM", "10", "1"),
            pos(2, "EFA", "6", "1"),  # 6 %: over
        ],
        [(1, 100, 5, "0"), (2, 100, 5, "0")],
        [(100, 5)],
        model,
    )
    one, two = row(result.accounts, 1), row(result.accounts, 2)
    assert bucket(one, "unassigned")["weight"] == "5.0000"
    assert one["status"] == "in_band"
    assert bucket(two, "unassigned")["abs_band"] == "5.0000"
    assert (two["status"], two["worst_bucket"], two["worst_abs_drift"]) == (
        "breached",
        "unassigned",
        D("6.0000"),
    )
    assert [b["bucket"] for b in two["buckets"]] == ["class:1", "class:2", "unassigned"]


def test_lots_row_order_and_summed_positions_give_the_same_result():
    lots = [
        pos(1, "VOO", "3.5", "465.123456"),
        pos(1, "VOO", "6.5", "465.123456"),
        pos(1, "IWM", "0.333333333", "175.5"),
        pos(2, "EFA", "7", "80.01"),
    ]
    summed = [pos(1, "VOO", "10", "465.123456"), lots[2], lots[3]]
    accounts = [(2, 200, 1, "5.55"), (1, 100, 1, "1.00")]
    households = [(200, None), (100, 1)]
    a = run(lots, accounts, households, MODEL_90_10)
    b = run(summed[::-1], accounts[::-1], households[::-1], MODEL_90_10[::-1])
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    pd.testing.assert_frame_equal(a.households, b.households)
    assert a.accounts["id"].tolist() == [1, 2]  # sorted by id whatever the input order


def test_records_are_plain_python_ready_for_snapshot_rows():
    result = run(
        [pos(1, "VOO", "10", "465.00"), pos(1, "IWM", "2", "175.00", None)],
        [(1, 100, 1, "12.34")],
        [(100, 1)],
        MODEL_90_10,
    )
    records = result.to_records()
    assert [(r["kind"], r["subject_id"]) for r in records] == [("account", 1), ("household", 100)]
    account, household = records
    assert set(account) == {
        "kind",
        "subject_id",
        "account_id",
        "household_id",
        "model_id",
        "as_of",
        "status",
        "market_value",
        "cash_value",
        "cash_weight",
        "worst_bucket",
        "worst_abs_drift",
        "worst_rel_drift",
        "missing_symbols",
        "buckets",
    }
    assert (account["account_id"], account["household_id"]) == (1, 100)
    assert (household["account_id"], household["household_id"]) == (None, 100)
    assert account["as_of"] == AS_OF
    assert account["market_value"] == D("4662.34")  # 4650.00 + 12.34; IWM has no date: stale
    assert account["worst_bucket"] == ""  # the CharField is not nullable
    json.dumps([r["buckets"] for r in records])
    json.dumps([r["missing_symbols"] for r in records])

    def plain(value):
        assert not isinstance(value, np.generic)
        if isinstance(value, dict):
            for v in value.values():
                plain(v)
        elif isinstance(value, list):
            for v in value:
                plain(v)
        else:
            assert value is None or type(value) in {int, str, bool, Decimal, dt.date}, value

    plain(records)
    assert list(result.iter_account_rows()) == [account]
    assert list(result.iter_household_rows()) == [household]


def test_a_float_quantity_is_refused():
    inputs = make_inputs([pos(1, "VOO", "0.5", "2.01")], [(1, 100, None, "0")], [(100, None)], [])
    floats = inputs.positions.assign(quantity=[0.5])
    with pytest.raises(TypeError, match="quantity must be an exact decimal"):
        compute_drift(dataclasses.replace(inputs, positions=floats))


@pytest.mark.parametrize(
    ("accounts", "households", "targets", "message"),
    [
        ([(1, 100, 1, "0"), (1, 100, 1, "0")], [(100, 1)], MODEL_90_10, "duplicates"),
        ([(1, 999, 1, "0")], [(100, 1)], MODEL_90_10, "household_id has unknown ids"),
        ([(1, 100, 1, "0")], [(100, 1)], [target(1, 11, "100", cls=LARGE, sec=10)], "either"),
        ([(2, 100, 1, "0")], [(100, 1)], MODEL_90_10, "account_id has unknown ids"),
    ],
)
def test_inconsistent_inputs_are_refused(accounts, households, targets, message):
    with pytest.raises(ValueError, match=message):
        run([pos(1, "VOO", "1", "1")], accounts, households, targets)


def test_an_empty_chunk_gives_empty_frames():
    result = run([], [], [], [])
    assert len(result.accounts) == 0 and len(result.households) == 0
    assert result.to_records() == []
