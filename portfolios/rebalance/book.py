"""Book to target: every single-account portfolio of a book traded to one security-level model.

The fast path for large batches where :func:`portfolios.rebalance.engine.propose` (bands, lots,
gains, reasons, one account at a time) is more than the job needs. Every account of a
:class:`Book` holds the same securities (columns; a security outside the model is a column
with weight 0) and is traded straight to the model's weights with whole shares::

    total  = cash + Σ q·p
    target = floor(w × total / p)        (shares)
    trade  = target − q                  (+ buy, − sell)

This is the rule of the rebalance peers (docs/benchmarks.md): a sale therefore goes one share
past the target when the target is fractional, and the rest stays in cash. Cash never goes
negative: Σ floor(w·total/p)·p ≤ Σ w·total ≤ total when Σ w ≤ 1.

Exact, not float: prices and cash become integers at one scale 10^k (k = the most decimal
places among them, trailing zeros ignored), weights integers over 10^d. numpy int64 does the
work when a bound computed with Python ints proves no intermediate product can overflow;
accounts that could overflow are computed with Python ints instead. No float is involved, so
a cell where w·total/p − q is a whole number gets that number, where float arithmetic may give
the number minus one (docs/benchmarks.md: realloc on 2 of 250,000 cells).

Pure: plain data in, plain data out; no database, no Django.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

import numpy as np

__all__ = ["MAX_PLACES", "Book", "BookTrades", "trades_to_target"]

INT64_MAX = int(np.iinfo(np.int64).max)
INT64_MIN = int(np.iinfo(np.int64).min)
MAX_PLACES = 18  # decimal places accepted in a weight, price or cash amount
# A context that never rounds, for the Decimal sums and shifts below (the default rounds at 28).
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


@dataclass(frozen=True, eq=False)
class Book:
    """Accounts × securities, all on one model.

    Validated on construction (ValueError; TypeError for an amount that is not a Decimal). The
    book keeps its own tuples and a read-only int64 copy of the holdings, so later changes to
    the caller's lists or array do not reach it.

    - ``symbols``: one per column, unique.
    - ``weights``: Decimal fraction of each account's value per security, ≥ 0, Σ ≤ 1 (what is
      left stays in cash).
    - ``prices``: Decimal price per share, > 0.
    - ``account_ids``: one per row, unique.
    - ``quantities``: whole shares held, ≥ 0, shape (accounts, securities); any integer
      array-like, stored as a read-only int64 copy.
    - ``cash``: Decimal cash per account, ≥ 0.
    """

    symbols: tuple[str, ...]
    weights: tuple[Decimal, ...]
    prices: tuple[Decimal, ...]
    account_ids: tuple[int, ...]
    quantities: np.ndarray
    cash: tuple[Decimal, ...]

    def __post_init__(self) -> None:
        # Tuples and a private array: a caller changing its lists later cannot change the book.
        for name in ("symbols", "weights", "prices", "account_ids", "cash"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "quantities", _share_matrix(self.quantities))
        self._check_shape()
        _check_decimals("weight", self.weights, allow_zero=True)
        _check_decimals("price", self.prices, allow_zero=False)
        _check_decimals("cash", self.cash, allow_zero=True)
        weight_sum = _sum_exact(self.weights)
        if weight_sum > 1:  # Decimal comparisons are exact, whatever the context
            raise ValueError(f"weights sum to {weight_sum}, more than 1")
        if self.quantities.size and self.quantities.min() < 0:
            raise ValueError("quantities must be ≥ 0 (whole shares held)")

    def _check_shape(self) -> None:
        n_sec, n_acc = len(self.symbols), len(self.account_ids)
        if not len(self.weights) == len(self.prices) == n_sec:
            raise ValueError(
                f"{n_sec} symbols but {len(self.weights)} weights and {len(self.prices)} prices"
            )
        if len(self.cash) != n_acc:
            raise ValueError(f"{n_acc} accounts but {len(self.cash)} cash amounts")
        if self.quantities.shape != (n_acc, n_sec):
            raise ValueError(
                f"quantities are {self.quantities.shape}, expected {(n_acc, n_sec)} "
                "(accounts × securities)"
            )
        if len(set(self.symbols)) != n_sec:
            raise ValueError("symbols must be unique")
        if len(set(self.account_ids)) != n_acc:
            raise ValueError("account ids must be unique")


@dataclass(frozen=True, eq=False)
class BookTrades:
    """The result of :func:`trades_to_target`, rows and columns in the book's order.

    - ``shares``: read-only int64 (accounts × securities), signed: + buy, − sell, 0 no trade.
    - ``cash_after_units``: read-only, cash per account after the trades in units of
      10^-``money_places`` (int64; object dtype holding Python ints only if some amount does
      not fit int64). Exact: total − Σ target·price.
    """

    symbols: tuple[str, ...]
    account_ids: tuple[int, ...]
    shares: np.ndarray
    cash_after_units: np.ndarray
    money_places: int

    def cash_after(self) -> tuple[Decimal, ...]:
        """Cash per account after the trades, as exact Decimals."""
        return tuple(
            Decimal(int(u)).scaleb(-self.money_places, _EXACT) for u in self.cash_after_units
        )

    def nonzero(self) -> Iterator[tuple[int, str, int]]:
        """(account id, symbol, signed shares) of every trade, row by row."""
        rows, cols = np.nonzero(self.shares)
        for r, c, qty in zip(
            rows.tolist(), cols.tolist(), self.shares[rows, cols].tolist(), strict=True
        ):
            yield self.account_ids[r], self.symbols[c], qty


def trades_to_target(book: Book) -> BookTrades:
    """Trade every account of ``book`` to its weights, whole shares, floor rule (module doc).

    Raises ValueError when a weight, price or cash amount has more than :data:`MAX_PLACES`
    decimal places, or a trade would not fit int64.
    """
    s = _scaled(book)
    safe = _int64_safe_rows(book.quantities, s)
    if safe.all():
        shares, cash_after = _to_target_int64(book.quantities, s.cash, s)
    else:
        shares, cash_after = _to_target_split(book.quantities, s, safe)
    shares.flags.writeable = False
    cash_after.flags.writeable = False
    return BookTrades(book.symbols, book.account_ids, shares, cash_after, s.places)


# -- input checks and scaling -------------------------------------------------------------


def _share_matrix(quantities: object) -> np.ndarray:
    q = np.asarray(quantities)
    # Integers only: a float array may already hold a rounded share count.
    if q.dtype.kind not in "iu":
        raise ValueError(f"quantities must be an integer array (whole shares), not {q.dtype}")
    if q.dtype.kind == "u" and q.size and int(q.max()) > INT64_MAX:
        raise ValueError("quantities must fit int64")
    q = np.array(q, dtype=np.int64)  # always a copy, so the book owns it
    q.flags.writeable = False
    return q


def _check_decimals(name: str, values: tuple[Decimal, ...], *, allow_zero: bool) -> None:
    for v in values:
        if not isinstance(v, Decimal):
            raise TypeError(f"{name} must be a Decimal, not {type(v).__name__} ({v!r})")
        if not v.is_finite():
            raise ValueError(f"{name} must be finite, not {v}")
        if v < 0 or (v == 0 and not allow_zero):
            raise ValueError(f"{name} must be {'≥' if allow_zero else '>'} 0, not {v}")


def _sum_exact(values: Sequence[Decimal]) -> Decimal:
    """Σ values without the 28-digit default context's rounding."""
    total = Decimal(0)
    for v in values:
        total = _EXACT.add(total, v)
    return total


def _ratios(name: str, values: Sequence[Decimal]) -> tuple[list[tuple[int, int]], int]:
    """Each value as an exact reduced fraction n/d, and the decimal places they need.

    A decimal's reduced denominator is 2^a·5^b, so it divides 10^max(a, b): that power of ten
    is the value's places with trailing zeros ignored (1.50 needs 1, 100 and 1E+2 need 0).
    """
    ratios = [v.as_integer_ratio() for v in values]
    places = 0
    for d in {d for _, d in ratios}:
        while 10**places % d:
            places += 1
            if places > MAX_PLACES:
                raise ValueError(f"a {name} has more than {MAX_PLACES} decimal places")
    return ratios, places


def _units(ratios: list[tuple[int, int]], places: int) -> list[int]:
    """n/d × 10^places as ints; exact because every d divides 10^places."""
    scale = 10**places
    factor = {d: scale // d for _, d in ratios}
    return [n * factor[d] for n, d in ratios]


@dataclass(frozen=True)
class _Scaled:
    """The book's Decimals as Python ints: w = w_num / w_den; price and cash × 10^places."""

    w_num: list[int]
    w_den: int
    prices: list[int]
    cash: list[int]
    places: int


def _scaled(book: Book) -> _Scaled:
    weights, weight_places = _ratios("weight", book.weights)
    prices, price_places = _ratios("price", book.prices)
    cash, cash_places = _ratios("cash amount", book.cash)
    # One scale for prices and cash, so that cash + Σ q·p adds up as integers.
    places = max(price_places, cash_places)
    return _Scaled(
        _units(weights, weight_places),
        10**weight_places,
        _units(prices, places),
        _units(cash, places),
        places,
    )


# -- the arithmetic -------------------------------------------------------------------------


def _int64_safe_rows(q: np.ndarray, s: _Scaled) -> np.ndarray:
    """Rows whose every intermediate provably fits int64, as a bool mask.

    int64 overflow wraps silently, so it must be ruled out beforehand, with Python ints (which
    cannot overflow). The largest intermediates of a row are its total (the partial sums of
    Σ q·p are smaller), w·total and w_den·p; Σ target·p ≤ total by the floor.
    """
    n_acc = q.shape[0]
    if s.w_den * max(s.prices, default=1) > INT64_MAX:
        return np.zeros(n_acc, dtype=bool)
    limit = INT64_MAX // max([1, *s.w_num])  # total ≤ limit ⇒ total and w·total fit
    column_max = q.max(axis=0).tolist() if n_acc else [0] * len(s.prices)
    book_bound = max(s.cash, default=0) + sum(
        m * p for m, p in zip(column_max, s.prices, strict=True)
    )
    if book_bound <= limit:  # the usual case: one check for the whole book
        return np.ones(n_acc, dtype=bool)
    # Some account may be too big: bound each one by its largest holding × Σ prices.
    row_max = q.max(axis=1).tolist() if q.shape[1] else [0] * n_acc
    price_sum = sum(s.prices)
    bounds = (c + m * price_sum <= limit for c, m in zip(s.cash, row_max, strict=True))
    return np.fromiter(bounds, dtype=bool, count=n_acc)


def _to_target_int64(q: np.ndarray, cash: list[int], s: _Scaled) -> tuple[np.ndarray, np.ndarray]:
    """The rule in int64 (the caller has proved it cannot overflow); // floors exactly."""
    p = np.array(s.prices, dtype=np.int64)
    total = np.array(cash, dtype=np.int64) + q @ p
    target = (total[:, None] * np.array(s.w_num, dtype=np.int64)) // (p * s.w_den)
    return target - q, total - target @ p


def _to_target_exact(q: np.ndarray, cash: list[int], s: _Scaled) -> tuple[np.ndarray, np.ndarray]:
    """The same rule on object arrays of Python ints: slow, unbounded, exact."""
    p = np.array(s.prices, dtype=object)
    qo = q.astype(object)
    total = np.array(cash, dtype=object) + (qo * p).sum(axis=1, initial=0)
    target = (total[:, None] * np.array(s.w_num, dtype=object)) // (p * s.w_den)
    shares = target - qo
    if shares.size and (shares.max() > INT64_MAX or shares.min() < INT64_MIN):
        raise ValueError("a trade does not fit int64 shares (cash or prices out of scale?)")
    return shares.astype(np.int64), total - (target * p).sum(axis=1, initial=0)


def _to_target_split(q: np.ndarray, s: _Scaled, safe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int64 for the safe rows, Python ints for the rest, merged in the book's row order."""
    shares = np.empty(q.shape, dtype=np.int64)
    cash_after = np.empty(q.shape[0], dtype=object)
    for rows, solve in ((safe, _to_target_int64), (~safe, _to_target_exact)):
        index = np.flatnonzero(rows)
        if index.size:
            part_cash = [s.cash[i] for i in index.tolist()]
            shares[index], part = solve(q[index], part_cash, s)
            cash_after[index] = [int(v) for v in part]
    return shares, _int64_if_fits(cash_after)


def _int64_if_fits(values: np.ndarray) -> np.ndarray:
    if all(INT64_MIN <= v <= INT64_MAX for v in values):
        return values.astype(np.int64)
    return values
