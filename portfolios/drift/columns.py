"""Columns in and out of the drift engine: pandas / pyarrow columns ↔ int64 numpy arrays.

In: ids as int64 (:func:`id_values`), exact decimals as int64 units of 10^-scale
(:func:`unscaled`, reading the decimal128 buffer directly), dates as day numbers
(:func:`day_numbers`), ids looked up in sorted unique ids (:func:`find_ids`,
:func:`lookup_ids`). Out: int64 units back to decimal or text arrays (:func:`decimal_array`,
:func:`decimal_text`), nullable id arrays and per-entity symbol lists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_array(series: Any) -> pa.Array:
    """A column (Series, array or list) as one contiguous pyarrow array."""
    arr = pa.array(series)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def id_values(series: pd.Series, nullable: bool = False) -> np.ndarray:
    """An id column as int64; null → -1 when nullable (ids are positive)."""
    arr = arrow_array(series).cast(pa.int64())
    if not arr.null_count:
        return arr.to_numpy(zero_copy_only=False)
    if not nullable:
        raise ValueError(f"{series.name} has empty values")
    return arr.fill_null(-1).to_numpy(zero_copy_only=False)


def sorted_unique_ids(series: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """An id column sorted, and the order that sorts it; duplicates raise ValueError."""
    ids = id_values(series)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    dup = ids[1:][ids[1:] == ids[:-1]]
    if len(dup):
        raise ValueError(f"{name} has duplicates: {np.unique(dup)[:5].tolist()}")
    return ids, order


def unscaled(
    series: pd.Series, scale: int, name: str, nullable: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """An exact decimal column as int64 units of 10^-scale (0 where null), and its validity."""
    arr = arrow_array(series)
    if not len(arr):
        return np.zeros(0, np.int64), np.ones(0, bool)
    if not pa.types.is_decimal(arr.type):
        raise TypeError(
            f"{name} must be an exact decimal column (pd.ArrowDtype(pa.decimal128(p, s)), "
            f"see decimal_series), not {arr.type}"
        )
    if arr.type.scale != scale or not pa.types.is_decimal128(arr.type):
        arr = arr.cast(pa.decimal128(38, scale))  # raises rather than drop digits
    if arr.null_count and not nullable:
        raise ValueError(f"{name} has empty values")
    valid = np.ones(len(arr), bool)
    words = np.frombuffer(arr.buffers()[1], "<i8")[2 * arr.offset : 2 * (arr.offset + len(arr))]
    low, high = words[0::2], words[1::2]
    if arr.null_count:
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        low, high = np.where(valid, low, 0), np.where(valid, high, 0)
    if (high != (low >> 63)).any():
        raise ValueError(f"{name} has a value too large for this engine")
    return low.copy(), valid


def day_numbers(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A date column as days since 1970-01-01, and its validity."""
    arr = pc.cast(arrow_array(series), pa.date32(), safe=False)
    days = arr.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
    return days, arr.is_valid().to_numpy(zero_copy_only=False)


def find_ids(sorted_ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of each value in sorted unique ids, -1 when absent (a dense table if it is small)."""
    if not len(sorted_ids) or not len(values):
        return np.full(len(values), -1, np.int64)
    low, span = sorted_ids[0], int(sorted_ids[-1] - sorted_ids[0]) + 1
    if span > max(1 << 20, 4 * len(values)):
        found = pd.Index(sorted_ids).get_indexer(values)
        return found.astype(np.int64)
    table = np.full(span, -1, np.int32)
    table[sorted_ids - low] = np.arange(len(sorted_ids))
    offset = values - low
    if offset.min() >= 0 and offset.max() < span:
        return table[offset]
    inside = (offset >= 0) & (offset < span)
    return np.where(inside, table[np.where(inside, offset, 0)], -1)


def lookup_ids(sorted_ids: np.ndarray, values: np.ndarray, name: str) -> np.ndarray:
    """Like :func:`find_ids`, but every value must be found (ValueError naming ``name``)."""
    found = find_ids(sorted_ids, values)
    if (found < 0).any():
        raise ValueError(f"{name} has unknown ids: {np.unique(values[found < 0])[:5].tolist()}")
    return found


def decimal_array(units: np.ndarray, arrow_type: pa.DataType, valid: Any = None) -> pa.Array:
    """int64 units of 10^-scale → a decimal array (null where not valid)."""
    units = np.asarray(units, np.int64)
    bitmap = None
    if valid is not None and not np.all(valid):
        bitmap = pa.py_buffer(np.packbits(np.asarray(valid, bool), bitorder="little"))
    if pa.types.is_decimal64(arrow_type):
        return pa.Array.from_buffers(arrow_type, len(units), [bitmap, pa.py_buffer(units)])
    words = np.empty(2 * len(units), "<i8")
    words[0::2], words[1::2] = units, units >> 63
    return pa.Array.from_buffers(arrow_type, len(units), [bitmap, pa.py_buffer(words)])


def decimal_text(units: np.ndarray, scale: int, valid: Any = None) -> pa.Array:
    """int64 units → strings with exactly ``scale`` decimals ("12.50"), null where invalid."""
    return decimal_array(units, pa.decimal64(18, scale), valid).cast(pa.string())


def id_array(values: np.ndarray) -> pa.Array:
    """int64 ids → an int64 array, null where the id is -1 (none)."""
    return pa.array(values, pa.int64(), mask=values < 0)


def symbol_lists(entity: np.ndarray, symbols: pa.Array, n: int) -> pa.Array:
    """Sorted distinct symbols per entity, as a list column of length n."""
    pairs = pa.table({"e": pa.array(entity, pa.int64()), "s": symbols})
    pairs = (
        pairs.group_by(["e", "s"]).aggregate([]).sort_by([("e", "ascending"), ("s", "ascending")])
    )
    counts = np.bincount(pairs["e"].to_numpy(), minlength=n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())
    return pa.ListArray.from_arrays(offsets, pairs["s"].combine_chunks())
