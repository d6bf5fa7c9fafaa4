"""Drift of accounts and households against their models: pure, vectorised, exact money.

No ORM here: the caller loads one chunk into DataFrames (:class:`DriftInputs`), calls
:func:`compute_drift` and writes :meth:`DriftResult.to_records` as ``DriftSnapshot`` rows.
Everything runs on whole arrays (numpy / pyarrow); no Python loop runs per account or row.

Exact money. Market values are exact sums of ``quantity × close`` (+ cash), rounded to cents
half away from zero only at the end, like :func:`advisory.money.to_cents`: the products are
summed per bucket as integer limbs in int64 arrays (:mod:`portfolios.drift.exact` explains how).
Measured on 2.5 M positions: one multiply + group-by + round to cents takes ~0.20 s this way,
~0.29 s with pyarrow decimal256 (the other exact option, which would also need a second
group-by for households and leaves no cheap exact weight rounding) and ~0.03 s in float64,
which is wrong: 0.5 × 2.01 = 1.005 comes out as 1.00.

Weights are value / total × 100 rounded half away from zero to 4 dp: a float64 quotient of the
exact values, checked exactly in limbs when it lands within 10⁻⁶ of a rounding boundary. Drift,
relative drift and the band tests are then exact integer arithmetic on the rounded weight, so a
flag always agrees with the numbers shown beside it (a weight of 15.0000 against a 10.0000
target with a 5.0000 band is not breached; 15.0001 is).

Modules: :mod:`portfolios.drift.exact` (the limb arithmetic), :mod:`portfolios.drift.buckets` (which
bucket each holding falls in) and :mod:`portfolios.drift.columns` (columns in and out).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from portfolios.drift import exact
from portfolios.drift.buckets import UNASSIGNED, TargetBuckets
from portfolios.drift.columns import (
    arrow_array,
    day_numbers,
    decimal_array,
    decimal_text,
    id_values,
    lookup_ids,
    sorted_unique_ids,
    symbol_lists,
    unscaled,
)

__all__ = [
    "BREACHED",
    "CLOSE_TYPE",
    "INCOMPLETE",
    "IN_BAND",
    "MONEY_TYPE",
    "NO_MODEL",
    "PERCENT_TYPE",
    "QUANTITY_TYPE",
    "RATIO_TYPE",
    "SNAPSHOT_FIELDS",
    "UNASSIGNED",
    "DriftInputs",
    "DriftResult",
    "compute_drift",
    "decimal_series",
]

QUANTITY_TYPE = pa.decimal128(20, 9)  # advisory.money.QUANTITY
CLOSE_TYPE = pa.decimal128(18, 6)  # advisory.money.PRICE
MONEY_TYPE = pa.decimal128(18, 2)  # advisory.money.MONEY
PERCENT_TYPE = pa.decimal128(7, 4)  # advisory.money.PERCENT: target weights and bands
RATIO_TYPE = pa.decimal128(18, 4)  # output weights and drifts (relative drift can be large)

IN_BAND, BREACHED, INCOMPLETE, NO_MODEL = "in_band", "breached", "incomplete", "no_model"

_EPOCH = dt.date(1970, 1, 1)
_BUCKET_FIELDS = [
    "bucket",
    "target_id",
    "asset_class_id",
    "security_id",
    "value",
    "weight",
    "target",
    "abs_drift",
    "rel_drift",
    "abs_band",
    "rel_band",
    "breached",
]
# What a snapshot row stores of an account's or a household's drift (beside who it is for).
SNAPSHOT_FIELDS = [
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
]


@dataclass(frozen=True)
class DriftInputs:
    """One chunk of accounts and everything needed for their drift (columns: compute_drift).

    Decimal columns are ``pd.ArrowDtype`` decimals (exact, vectorised, read back as Decimal);
    :func:`decimal_series` builds one from Decimals or strings.
    """

    positions: pd.DataFrame
    accounts: pd.DataFrame
    households: pd.DataFrame
    targets: pd.DataFrame
    equivalents: pd.DataFrame
    cash_class_id: int
    as_of: dt.date
    stale_days: int = 5


@dataclass(frozen=True)
class DriftResult:
    """``accounts`` and ``households`` frames, one row each, sorted by id (see compute_drift)."""

    accounts: pd.DataFrame
    households: pd.DataFrame
    as_of: dt.date

    def iter_account_rows(self, batch_size: int = 10_000) -> Iterator[dict[str, Any]]:
        """Snapshot rows (kind "account"), see :meth:`to_records`."""
        return self._rows(self.accounts, "account", batch_size)

    def iter_household_rows(self, batch_size: int = 10_000) -> Iterator[dict[str, Any]]:
        """Snapshot rows (kind "household", account_id None), see :meth:`to_records`."""
        return self._rows(self.households, "household", batch_size)

    def to_records(self) -> list[dict[str, Any]]:
        """Account rows then household rows: ``DriftSnapshot(firm=…, run=…, computed_at=…,
        **row)``. Keys: kind, subject_id, account_id, household_id, model_id, as_of, status,
        market_value, cash_value, cash_weight, worst_bucket ("" for none), worst_abs_drift,
        worst_rel_drift, missing_symbols, buckets. Values are plain Python: int, str, bool,
        None, date, Decimal for the money and ratio fields; missing_symbols and buckets are
        JSON-serialisable (bucket decimals are strings).
        """
        return [*self.iter_account_rows(), *self.iter_household_rows()]

    def _rows(self, frame: pd.DataFrame, kind: str, batch_size: int) -> Iterator[dict[str, Any]]:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for batch in table.to_batches(max_chunksize=batch_size):
            for row in batch.to_pylist():
                account = kind == "account"
                out = {
                    "kind": kind,
                    "subject_id": row["id"],
                    "account_id": row["id"] if account else None,
                    "household_id": row["household_id"] if account else row["id"],
                    "as_of": self.as_of,
                }
                out.update((f, row[f]) for f in SNAPSHOT_FIELDS if f not in out)
                out["worst_bucket"] = out["worst_bucket"] or ""
                yield out


def decimal_series(values: Any, arrow_type: pa.DataType = QUANTITY_TYPE) -> pd.Series:
    """An exact decimal column (``pd.ArrowDtype``) from Decimals, strings or ints (None: null)."""
    arr = pa.array([v if v is None else Decimal(str(v)) for v in values], type=arrow_type)
    return pd.Series(arr, dtype=pd.ArrowDtype(arrow_type))


def compute_drift(inputs: DriftInputs) -> DriftResult:
    """Drift of every account and household of the chunk against its model.

    Inputs (ids int64 or nullable Int64; decimals ArrowDtype decimal of at most the scale
    given, e.g. ``decimal_series(["1.5"], QUANTITY_TYPE)``):

    ``positions``: one row per holding or per tax lot (exact arithmetic makes Σ(lot quantity
        × close) equal to (Σ lot quantities) × close, so lots need no pre-summing):
        account_id; security_id; asset_class_id; symbol (str); quantity (scale 9, not null);
        close (scale 6, null = never priced); price_date (``date32[pyarrow]``, datetime64 or
        ``datetime.date``; null = unknown). A holding is stale when it has no close or no
        price_date or price_date < as_of − stale_days. A stale holding is never valued at
        zero: it is left out of every value and weight, its bucket's value is null, its
        account and household are ``incomplete`` and its symbol is listed.
    ``accounts``: account_id (unique), household_id (in ``households``), model_id (nullable),
        cash (scale 2). A household's accounts must all be in the chunk.
    ``households``: household_id (unique), model_id (nullable).
    ``targets``: model_id, target_id (unique), asset_class_id / security_id (nullable, exactly
        one set), weight, abs_band, rel_band (scale 4, percent / points / percent of target).
    ``equivalents``: target_id, security_id: securities counting toward a security-level
        target (rows for class-level targets are ignored: the whole class counts anyway).

    Buckets: every target of the model. A security-level target collects its security and its
    equivalents (a security claimed twice goes to the target naming it, else the lowest
    target_id); a class-level target collects the rest of its class; the cash balance counts
    as the ``cash_class_id`` class. Anything else (cash too, if the model has no cash target)
    forms an ``unassigned`` bucket (target 0, abs band 5, no relative band: untargeted
    holdings above 5 % breach), listed only when it holds something.
    weight = value / (Σ holdings + cash) × 100; abs drift = weight − target (points); rel drift
    = abs drift / target × 100 (null for target 0); breached when |abs drift| > abs_band or
    (target > 0 and |rel drift| > rel_band): strictly greater, tested exactly on the 4 dp weight.

    Output frames, all columns ``pd.ArrowDtype`` (cells read back as int, Decimal, str, list;
    a null cell as pd.NA, None in to_records), one row per account / household, by id:
        id (account_id / household_id); household_id (accounts only); model_id (nullable);
        market_value decimal(18,2): cash + counted (priced, fresh) holdings, exact then rounded;
        cash_balance decimal(18,2); cash_value decimal(18,2): cash + holdings of the cash class;
        cash_weight decimal(18,4) percent, null when incomplete or the value is zero;
        status: "no_model" (first: values are still reported), "incomplete", "breached",
            "in_band" (also for a zero value: there is nothing to weigh);
        missing_symbols list<str>: sorted symbols of stale or unpriced holdings;
        worst_bucket str, worst_abs_drift / worst_rel_drift decimal(18,4): the breached bucket
            with the largest |abs drift| (ties: the first in bucket order); null if none;
        buckets list<struct>, in model order (weight descending, target_id; unassigned last),
            empty for no_model: bucket ("class:<id>", "security:<id>", "unassigned"),
            target_id, asset_class_id, security_id (int or None), value (str, 2 dp; None when
            it holds a stale holding), weight, target, abs_drift, rel_drift, abs_band, rel_band
            (str, 4 dp, or None), breached (bool; None when bands were not evaluated).
        Bucket values are rounded one by one: their sum can differ from market_value by cents.
    """
    pos, acc, hh = inputs.positions, inputs.accounts, inputs.households
    acc_ids, acc_order = sorted_unique_ids(acc["account_id"], "accounts.account_id")
    hh_ids, hh_order = sorted_unique_ids(hh["household_id"], "households.household_id")
    acc_hh = lookup_ids(hh_ids, id_values(acc["household_id"])[acc_order], "accounts.household_id")
    acc_models = id_values(acc["model_id"], nullable=True)[acc_order]
    hh_models = id_values(hh["model_id"], nullable=True)[hh_order]
    tg = TargetBuckets(inputs, np.concatenate([acc_models, hh_models]))
    acc_model, hh_model = tg.code(acc_models), tg.code(hh_models)
    cash = unscaled(acc["cash"], 2, "accounts.cash")[0][acc_order]
    hh_cash = np.zeros(len(hh_ids), np.int64)
    np.add.at(hh_cash, acc_hh, cash)

    # Rows: their account, whether they count, their exact value, their bucket keys.
    row_acc = lookup_ids(acc_ids, id_values(pos["account_id"]), "positions.account_id")
    qty = unscaled(pos["quantity"], 9, "positions.quantity")[0]
    close, priced = unscaled(pos["close"], 6, "positions.close", nullable=True)
    days, dated = day_numbers(pos["price_date"])
    stale = ~priced | ~dated | (days < (inputs.as_of - _EPOCH).days - inputs.stale_days)
    stale_rows = np.flatnonzero(stale)
    close[stale_rows] = 0  # left out of the sums; reported as missing, not as worth zero
    limbs = exact.product_limbs(qty, close)
    row_cls, row_col = tg.row_columns(
        id_values(pos["asset_class_id"]), id_values(pos["security_id"])
    )
    symbols = arrow_array(pos["symbol"]).take(pa.array(stale_rows)).cast(pa.string())

    acc_rows = np.bincount(row_acc, minlength=len(acc_ids))
    hh_rows = np.bincount(acc_hh, acc_rows, len(hh_ids))
    is_cash = np.flatnonzero(row_cls == tg.cash_k)
    acc_cash_held = exact.sum_rows(
        len(acc_ids), row_acc[is_cash], [s[is_cash] for s in limbs], acc_rows.max(initial=0)
    )
    row_hh = acc_hh[row_acc]
    accounts = _evaluate(
        tg,
        ids=acc_ids,
        model=acc_model,
        row_entity=row_acc,
        row_local=tg.local(acc_model[row_acc], row_col),
        limbs=limbs,
        max_rows=acc_rows.max(initial=0),
        cash=cash,
        cash_held=acc_cash_held,
        stale_rows=stale_rows,
        missing=symbol_lists(row_acc[stale_rows], symbols, len(acc_ids)),
    )
    accounts.insert(1, "household_id", pd.Series(hh_ids[acc_hh], dtype=pd.ArrowDtype(pa.int64())))
    households = _evaluate(
        tg,
        ids=hh_ids,
        model=hh_model,
        row_entity=row_hh,
        row_local=tg.local(hh_model[row_hh], row_col),
        limbs=limbs,
        max_rows=hh_rows.max(initial=0),
        cash=hh_cash,
        cash_held=exact.add_int(len(hh_ids), acc_hh, acc_cash_held),
        stale_rows=stale_rows,
        missing=symbol_lists(row_hh[stale_rows], symbols, len(hh_ids)),
    )
    return DriftResult(accounts=accounts, households=households, as_of=inputs.as_of)


def _evaluate(
    tg: TargetBuckets,
    *,
    ids: np.ndarray,
    model: np.ndarray,
    row_entity: np.ndarray,
    row_local: np.ndarray,
    limbs: list[np.ndarray],
    max_rows: float,
    cash: np.ndarray,
    cash_held: list[np.ndarray],
    stale_rows: np.ndarray,
    missing: pa.Array,
) -> pd.DataFrame:
    """Slots (entity × bucket, contiguous per entity) → values, weights, flags → one frame."""
    n = len(ids)
    n_slots = tg.count[model] + 1
    start = np.concatenate([[0], np.cumsum(n_slots)[:-1]]).astype(np.int64)
    slot_entity = np.repeat(np.arange(n), n_slots)
    local = np.arange(len(slot_entity)) - start[slot_entity]
    row_slot = start[row_entity] + row_local
    sums = exact.sum_rows(len(slot_entity), row_slot, limbs, max_rows)
    slot_stale = np.bincount(row_slot[stale_rows], minlength=len(slot_entity)) > 0
    stale = np.bincount(row_entity[stale_rows], minlength=n) > 0

    cash_limbs = exact.cash_limbs(cash)
    cash_local = tg.cls_local[model, tg.cash_k]
    cash_slot = start + np.where(cash_local >= 0, cash_local, tg.count[model])
    for k, add in enumerate(cash_limbs):
        sums[k][cash_slot] += add
    totals = exact.normalise([np.add.reduceat(s, start) if n else s for s in sums])
    sums = exact.normalise(sums)
    cash_value = exact.normalise(
        [a + b for a, b in zip(exact.normalise(cash_held), [*cash_limbs, 0, 0], strict=True)]
    )
    total = exact.to_float(totals)

    slot_model = model[slot_entity]
    is_target = local < tg.count[slot_model]
    tix = np.where(is_target, tg.start[slot_model] + local, tg.n)  # tg.n: unassigned
    target, abs_band, rel_band = tg.weight[tix], tg.abs_band[tix], tg.rel_band[tix]
    has_model = slot_model < len(tg.model_ids)
    evaluated = has_model & ~stale[slot_entity] & (total[slot_entity] != 0)
    weight = exact.percent_units(sums, totals, slot_entity)
    drift = weight - target
    rel = exact.div_half_away(drift * (100 * exact.POINT), target)
    breached = evaluated & (
        (np.abs(drift) > abs_band)
        | ((target > 0) & (np.abs(drift) * (100 * exact.POINT) > rel_band * target))
    )

    held = (np.bitwise_or.reduce(sums) != 0) | slot_stale
    keep = np.flatnonzero(has_model & (is_target | held))
    ev, kt = evaluated[keep], pa.array(tix[keep])
    fields = {
        "bucket": tg.label.take(kt),
        "value": decimal_text(exact.cents(sums)[keep], 2, ~slot_stale[keep]),
        "weight": decimal_text(weight[keep], 4, ev),
        "abs_drift": decimal_text(drift[keep], 4, ev),
        "rel_drift": decimal_text(rel[keep], 4, ev & (target[keep] > 0)),
        "breached": pa.array(breached[keep], pa.bool_(), mask=~ev),
        **{name: column.take(kt) for name, column in tg.fixed.items()},
    }
    buckets = pa.StructArray.from_arrays([fields[f] for f in _BUCKET_FIELDS], _BUCKET_FIELDS)
    offsets = np.concatenate([[0], np.cumsum(np.bincount(slot_entity[keep], minlength=n))])

    worst, has_worst = _worst_breach(breached, drift, start, slot_entity, n)
    no_model = model >= len(tg.model_ids)
    status = np.select([no_model, stale, has_worst], [0, 1, 2], 3)
    weighable = ~stale & (total != 0)
    table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "model_id": pa.array(np.append(tg.model_ids, -1)[model], pa.int64(), mask=no_model),
            "market_value": decimal_array(exact.cents(totals), MONEY_TYPE),
            "cash_balance": decimal_array(cash, MONEY_TYPE),
            "cash_value": decimal_array(exact.cents(cash_value), MONEY_TYPE),
            "cash_weight": decimal_array(
                exact.percent_units(cash_value, totals, np.arange(n)), RATIO_TYPE, weighable
            ),
            "status": pa.array([NO_MODEL, INCOMPLETE, BREACHED, IN_BAND]).take(pa.array(status)),
            "missing_symbols": missing,
            "worst_bucket": pc.if_else(pa.array(has_worst), tg.label.take(tix[worst]), None),
            "worst_abs_drift": decimal_array(drift[worst], RATIO_TYPE, has_worst),
            "worst_rel_drift": decimal_array(
                rel[worst], RATIO_TYPE, has_worst & (target[worst] > 0)
            ),
            "buckets": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), buckets),
        }
    )
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _worst_breach(
    breached: np.ndarray, drift: np.ndarray, start: np.ndarray, slot_entity: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per entity (n of them): the slot of its breached bucket with the largest |abs drift|
    (the first on ties; 0 when none), and whether it has one."""
    score = np.where(breached, np.abs(drift), -1)
    best = np.maximum.reduceat(score, start) if n else score
    first = np.flatnonzero(breached & (score == best[slot_entity]))
    first = first[np.diff(slot_entity[first], prepend=-1) != 0]
    worst = np.zeros(n, np.int64)
    worst[slot_entity[first]] = first
    return worst, best >= 0
