"""The book to-target path (portfolios.rebalance.book): pure, no database.

Every answer is checked against floor(w × (cash + Σ q·p) / p − q) computed by hand or in
60-digit Decimal, which is independent of the engine's integer scaling.
"""

from __future__ import annotations

import copy
import math
from decimal import ROUND_FLOOR, Decimal, localcontext
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolios.rebalance.book import (
    INT64_MAX,
    MAX_PLACES,
    Book,
    _int64_safe_rows,
    _scaled,
    trades_to_target,
)

D = Decimal


def book(weights, prices, quantities, cash, symbols=None, account_ids=None) -> Book:
    symbols = symbols or tuple(f"S{j}" for j in range(len(weights)))
    account_ids = account_ids or tuple(range(1, len(cash) + 1))
    return Book(
        symbols=symbols,
        weights=tuple(D(w) for w in weights),
        prices=tuple(D(p) for p in prices),
        account_ids=account_ids,
        quantities=np.array(quantities, dtype=np.int64).reshape(len(cash), len(weights)),
        cash=tuple(D(c) for c in cash),
    )


def exact_trades(b: Book) -> list[list[int]]:
    """floor(w·total/p − q) per cell in 60-digit Decimal (far more than these inputs need)."""
    rows = []
    with localcontext(prec=60):
        for q_row, cash in zip(b.quantities.tolist(), b.cash, strict=True):
            total = cash + sum((q * p for q, p in zip(q_row, b.prices, strict=True)), D(0))
            rows.append(
                [
                    int((w * total / p - q).to_integral_value(ROUND_FLOOR))
                    for w, p, q in zip(b.weights, b.prices, q_row, strict=True)
                ]
            )
    return rows


# -- hand-computed cases ---------------------------------------------------------------------


def test_two_accounts_by_hand():
    # Account 1: total 12 × 10 = 120. A: 0.6 × 120 / 10 = 7.2 → 7, sell 5 (one share past the
    # 7.2 target: the floor rounds a sale away from zero). B: 0.4 × 120 / 7 = 6.86 → 6, buy 6.
    # Cash 120 − 7 × 10 − 6 × 7 = 8.
    # Account 2: total 10 × 10 + 50 = 150. A: 9 → sell 1. B: 60 / 7 = 8.57 → 8, buy 8.
    # Cash 150 − 90 − 56 = 4.
    b = book(["0.6", "0.4"], ["10.00", "7"], [[12, 0], [10, 0]], ["0", "50.00"], ("A", "B"))
    result = trades_to_target(b)
    assert result.shares.tolist() == [[-5, 6], [-1, 8]]
    assert result.shares.dtype == np.int64
    assert result.cash_after() == (D(8), D(4))
    assert list(result.nonzero()) == [(1, "A", -5), (1, "B", 6), (2, "A", -1), (2, "B", 8)]


def test_cents_and_the_unmodelled_rest_stay_in_cash():
    # w = 0.5 of 1,000.00 at 33.33: 500 / 33.33 = 15.0015 → 15 shares = 499.95;
    # cash after 1,000.00 − 499.95 = 500.05 (the other half of the account is not modelled).
    b = book(["0.5"], ["33.33"], [[0]], ["1000.00"])
    result = trades_to_target(b)
    assert result.shares.tolist() == [[15]]
    assert result.money_places == 2
    assert result.cash_after_units.tolist() == [50005]
    assert result.cash_after() == (D("500.05"),)


def test_weight_zero_sells_everything_and_trailing_zeros_change_nothing():
    # Prices as the database sends them (6 places) give the same trades at the same scale.
    short = book(["0", "0.9"], ["512.34", "20.5"], [[3, 10]], ["1.10"])
    padded = book(["0.000", "0.90"], ["512.340000", "20.500000"], [[3, 10]], ["1.1000"])
    # total = 1,537.02 + 205 + 1.10 = 1,743.12; B: 0.9 × 1,743.12 / 20.5 = 76.53 → 76.
    for b in (short, padded):
        result = trades_to_target(b)
        assert result.shares.tolist() == [[-3, 66]]
        assert result.money_places == 2
        assert result.cash_after() == (D("1743.12") - 76 * D("20.5"),)


def test_a_whole_number_cell_is_exact_where_float_floors_one_short():
    # 0.29 × 100 / 1 − 0 is exactly 29, but in float it is 28.999999999999996.
    w, cash, price, q = 0.29, 100.0, 1.0, 0
    assert math.floor(w * cash / price - q) == 28  # what a float implementation trades
    result = trades_to_target(book(["0.29"], ["1"], [[0]], ["100"]))
    assert result.shares.tolist() == [[29]]
    assert result.cash_after() == (D(71),)


def test_a_whole_number_sell_cell_is_exact_where_float_floors_one_short():
    # Holding 40 of a $1 fund, 0.29 of 100: trade −11 exactly; float gives −12 (one too many).
    b = book(["0.29", "0.71"], ["1", "1"], [[40, 60]], ["0"])
    assert math.floor(0.29 * 100.0 / 1.0 - 40) == -12
    result = trades_to_target(b)
    assert result.shares.tolist() == [[-11, 11]]
    assert result.shares.tolist() == exact_trades(b)
    assert result.cash_after() == (D(0),)


def test_empty_book():
    b = book(["0.5", "0.5"], ["1", "2"], np.zeros((0, 2)), [])
    result = trades_to_target(b)
    assert result.shares.shape == (0, 2)
    assert result.cash_after() == ()
    assert list(result.nonzero()) == []


# -- big numbers: the Python-int fallback ------------------------------------------------------


def test_huge_cash_falls_back_to_python_ints_for_that_account_only():
    # 1e15 dollars = 1e17 cents; × weight numerator 2,500 (of 10,000) = 2.5e20 > int64.
    b = book(
        ["0.25", "0.7499"],
        ["0.01", "123.45"],
        [[7, 9], [1, 2]],
        ["1000000000000000.00", "12.34"],
    )
    q = b.quantities
    assert _int64_safe_rows(q, _scaled(b)).tolist() == [False, True]
    result = trades_to_target(b)
    assert result.shares.tolist() == exact_trades(b)
    assert result.shares.dtype == np.int64
    assert result.shares[0, 0] > 2**53  # more than float can count exactly
    with localcontext(prec=60):
        for row, cash, after in zip(
            result.shares.tolist(), b.cash, result.cash_after(), strict=True
        ):
            spent = sum((t * p for t, p in zip(row, b.prices, strict=True)), D(0))
            assert after == cash - spent >= 0


def test_fine_grained_weights_and_prices_use_python_ints_for_every_account():
    # 18-place weight × 18-place price: w_den · p alone exceeds int64.
    b = book(
        ["0.333333333333333333", "0.5"],
        ["1.000000000000000001", "2"],
        [[5, 1], [0, 0]],
        ["10", "1000"],
    )
    assert not _int64_safe_rows(b.quantities, _scaled(b)).any()
    result = trades_to_target(b)
    assert result.shares.tolist() == exact_trades(b)
    assert result.cash_after_units.dtype == object  # 1,000 at 18 places does not fit int64
    assert all(c >= 0 for c in result.cash_after())


def test_a_trade_beyond_int64_shares_is_refused():
    b = book(["1"], ["0.01"], [[0]], ["1000000000000000000000"])
    with pytest.raises(ValueError, match="does not fit int64"):
        trades_to_target(b)


def test_the_int64_bound_is_tight_enough_for_ordinary_books():
    # 10,000 accounts worth up to ~$10 m in cents, 4-place weights: one check, all int64.
    rng = np.random.default_rng(1)
    q = rng.integers(0, 100_000, size=(10_000, 5))
    b = Book(
        tuple("ABCDE"),
        (D("0.2"),) * 5,
        (D("99.99"),) * 5,
        tuple(range(10_000)),
        q,
        (D("1.00"),) * 10_000,
    )
    assert _int64_safe_rows(b.quantities, _scaled(b)).all()
    assert trades_to_target(b).shares.tolist() == exact_trades(b)


# -- bad input ---------------------------------------------------------------------------------


def good_kwargs() -> dict:
    return {
        "symbols": ["A", "B"],
        "weights": [D("0.5"), D("0.5")],
        "prices": [D("10"), D("20")],
        "account_ids": [1, 2],
        "quantities": np.array([[1, 2], [3, 4]]),
        "cash": [D("5"), D("6")],
    }


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("prices", [D("-10"), D("20")], ValueError, "price must be > 0"),
        ("prices", [D("0"), D("20")], ValueError, "price must be > 0"),
        ("prices", [D("NaN"), D("20")], ValueError, "must be finite"),
        ("prices", [10.0, D("20")], TypeError, "must be a Decimal"),
        ("cash", [D("-0.01"), D("6")], ValueError, "cash must be ≥ 0"),
        ("cash", [D("Infinity"), D("6")], ValueError, "must be finite"),
        ("weights", [D("-0.1"), D("0.5")], ValueError, "weight must be ≥ 0"),
        ("weights", [D("0.6"), D("0.4000000000000000000000000000001")], ValueError, "more than 1"),
        ("weights", [D("0.5")], ValueError, "2 symbols but 1 weights"),
        ("cash", [D("5")], ValueError, "2 accounts but 1 cash"),
        ("quantities", np.array([[1, 2, 3], [3, 4, 5]]), ValueError, "expected \\(2, 2\\)"),
        ("quantities", np.array([1, 2]), ValueError, "expected \\(2, 2\\)"),
        ("quantities", np.array([[1.0, 2.0], [3.0, 4.0]]), ValueError, "integer array"),
        ("quantities", np.array([[1, -2], [3, 4]]), ValueError, "quantities must be ≥ 0"),
        ("quantities", np.array([[1, 2**64 - 1], [3, 4]], dtype=np.uint64), ValueError, "int64"),
        ("symbols", ["A", "A"], ValueError, "symbols must be unique"),
        ("account_ids", [1, 1], ValueError, "account ids must be unique"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(field, value, error, message):
    kwargs = good_kwargs()
    kwargs[field] = value
    before = copy.deepcopy(kwargs)
    with pytest.raises(error, match=message):
        Book(**kwargs)
    for key, original in before.items():
        if isinstance(original, np.ndarray):
            assert np.array_equal(kwargs[key], original)
            assert kwargs[key].dtype == original.dtype
        else:
            assert kwargs[key] == original


def test_too_many_decimal_places_is_refused_before_any_work():
    kwargs = good_kwargs()
    kwargs["weights"] = [D("0.5"), D("1E-19")]
    b = Book(**kwargs)  # valid data; only the integer scale cannot hold it
    with pytest.raises(ValueError, match=f"more than {MAX_PLACES} decimal places"):
        trades_to_target(b)
    assert b.quantities.tolist() == [[1, 2], [3, 4]]


def test_the_book_owns_its_data_and_results_are_read_only():
    kwargs = good_kwargs()
    b = Book(**kwargs)
    kwargs["quantities"][0, 0] = 999
    kwargs["cash"][0] = D("1000")
    assert b.quantities.tolist() == [[1, 2], [3, 4]]
    assert b.cash == (D("5"), D("6"))
    result = trades_to_target(b)
    with pytest.raises(ValueError, match="read-only"):
        result.shares[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        b.quantities[0, 0] = 1
    # Account 1: total 5 + 10 + 40 = 55: A 27.5 / 10 → 2 (buy 1), B 27.5 / 20 → 1 (sell 1).
    # Account 2: total 6 + 30 + 80 = 116: A 58 / 10 → 5 (buy 2), B 58 / 20 → 2 (sell 2).
    assert result.shares.tolist() == exact_trades(b) == [[1, -1], [2, -2]]


# -- property: every cell against Decimal -------------------------------------------------------


@st.composite
def books(draw) -> Book:
    n_sec = draw(st.integers(1, 5))
    n_acc = draw(st.integers(1, 4))
    weight_places = draw(st.integers(0, 8))
    scale = 10**weight_places
    # n_sec weights from n_sec + 1 cuts of [0, scale]: the last part stays in cash (Σ w ≤ 1).
    cuts = sorted(draw(st.lists(st.integers(0, scale), min_size=n_sec, max_size=n_sec)))
    weights = [D(b - a).scaleb(-weight_places) for a, b in pairwise([0, *cuts])]
    price_places = draw(st.integers(0, 6))
    prices = draw(
        st.lists(
            st.decimals(D(1).scaleb(-price_places), 100_000, places=price_places),
            min_size=n_sec,
            max_size=n_sec,
        )
    )
    big = draw(st.booleans())  # big books reach past the int64 bound
    cash = draw(
        st.lists(
            st.decimals(0, 10**16 if big else 10**7, places=draw(st.integers(0, 4))),
            min_size=n_acc,
            max_size=n_acc,
        )
    )
    quantities = draw(
        st.lists(
            st.lists(st.integers(0, 10**12 if big else 10**7), min_size=n_sec, max_size=n_sec),
            min_size=n_acc,
            max_size=n_acc,
        )
    )
    return book(weights, prices, quantities, cash)


@settings(max_examples=300, deadline=None)
@given(books())
def test_every_cell_matches_decimal_and_nothing_goes_negative(b):
    expected = exact_trades(b)
    if any(not -INT64_MAX <= t <= INT64_MAX for row in expected for t in row):
        with pytest.raises(ValueError, match="does not fit int64"):
            trades_to_target(b)
        return
    result = trades_to_target(b)
    assert result.shares.tolist() == expected
    after = b.quantities.astype(object) + result.shares.astype(object)
    assert (after >= 0).all()
    with localcontext(prec=60):
        for q_row, a_row, cash, cash_after in zip(
            b.quantities.tolist(), after.tolist(), b.cash, result.cash_after(), strict=True
        ):
            value_before = cash + sum((q * p for q, p in zip(q_row, b.prices, strict=True)), D(0))
            held_after = sum((a * p for a, p in zip(a_row, b.prices, strict=True)), D(0))
            assert cash_after == value_before - held_after  # trades settle in cash exactly
            assert cash_after >= 0
