"""Exact money for the drift engine: integer limbs in int64 arrays, no Decimal, no per-row loop.

A value is a list of int64 arrays, its limbs: value = Σ limb[k]·2^(20k), in units of 10⁻¹⁵ of a
dollar (scale 15). After :func:`normalise` there are 6 limbs, limbs 0–4 in [0, 2²⁰) and the sign
and the rest in limb 5.

Products. A quantity (int64 units of 10⁻⁹) and a close (units of 10⁻⁶) are split into 20-bit
limbs (:func:`split_limbs`), so ``quantity × close`` is 4–6 partial products, integers below
3·2⁴⁰ and so exact in float64, already at scale 15 (:func:`product_limbs`). Cash in cents is
scaled by 10¹³ the same way (:func:`cash_limbs`).

Sums. :func:`sum_rows` adds the limbs per bucket with ``np.bincount``, which works in float64 and
is exact while every sum stays below 2⁵³, i.e. for up to 512 rows per bucket; busier buckets go
through ``np.add.at`` in int64 (:func:`add_int`). Carries are propagated afterwards
(:func:`normalise`).

Reading results. :func:`cents` rounds to cents half away from zero by long division by 10¹³,
like :func:`advisory.money.to_cents`. :func:`percent_units` divides two values into 0.0001
percentage points (:data:`POINT` units to the point): a float64 quotient of the exact values
(:func:`to_float`), decided exactly in limbs when it lands within 10⁻⁶ of a rounding boundary.
:func:`div_half_away` is integer division rounded half away from zero.

Exact for |quantity| < 9.2·10⁹ shares and any ``decimal(18, 6)`` close.
"""

from __future__ import annotations

import numpy as np

BITS = 20
MASK = (1 << BITS) - 1
CENT = 10**13  # one cent at scale 15
POINT = 10_000  # one percentage point, in weight units of 0.0001 point


def split_limbs(x: np.ndarray, most: int) -> list[np.ndarray]:
    """x as 20-bit limbs, only as many as its range needs (the last one keeps the sign)."""
    n = 1
    if len(x):
        low, high = int(x.min()), int(x.max())
        while n < most and (low < 0 or high >> (BITS * n)):
            n += 1
    return [(x >> (BITS * i)) & MASK for i in range(n - 1)] + [x >> (BITS * (n - 1))]


def product_limbs(q: np.ndarray, c: np.ndarray) -> list[np.ndarray]:
    """quantity (scale 9) × close (scale 6), both int64: 4–6 limbs, each an integer < 3·2⁴⁰,
    as float64 (exact below 2⁵³) because np.bincount sums them in float64 anyway."""
    q_, c_ = split_limbs(q, 4), split_limbs(c, 3)
    out: list[np.ndarray | None] = [None] * max(len(q_) + len(c_) - 1, 4)
    for i, qi in enumerate(q_):
        for j, cj in enumerate(c_):
            product = qi * cj
            prev = out[i + j]
            out[i + j] = product if prev is None else np.add(prev, product, out=product)
    return [np.zeros(len(q)) if limb is None else limb.astype(np.float64) for limb in out]


def cash_limbs(cents: np.ndarray) -> list[np.ndarray]:
    """cents · 10¹³ = Σ c_i · 5¹³ · 2¹³ · 2^(20i), each c_i · 5¹³ split at bit 7: 4 limbs."""
    out = [np.zeros_like(cents) for _ in range(4)]
    for i, part in enumerate((cents & MASK, (cents >> 20) & MASK, cents >> 40)):
        scaled = part * 5**13
        out[i] += (scaled & 127) << 13
        out[i + 1] += scaled >> 7
    return out


def sum_rows(n: int, index: np.ndarray, limbs: list[np.ndarray], max_rows: float) -> list:
    """Int64 sums per index of product limbs (float64 holding integers < 3·2⁴⁰). np.bincount
    adds in float64, exactly while every sum stays below 2⁵³, so for up to 512 rows per index
    (2-3× faster than np.add.at, which takes the busier cases)."""
    if max_rows <= 512:
        return [np.bincount(index, limb, n).astype(np.int64) for limb in limbs]
    return add_int(n, index, [limb.astype(np.int64) for limb in limbs])


def add_int(n: int, index: np.ndarray, limbs: list[np.ndarray]) -> list[np.ndarray]:
    """Int64 sums per index of int64 limbs (np.add.at: exact, slower than np.bincount)."""
    out = [np.zeros(n, np.int64) for _ in limbs]
    for acc, values in zip(out, limbs, strict=True):
        np.add.at(acc, index, values)
    return out


def normalise(limbs: list[np.ndarray]) -> list[np.ndarray]:
    """Carry into 6 limbs: limbs 0–4 in [0, 2²⁰), the sign and the rest in limb 5."""
    out = [np.array(limb, np.int64) for limb in limbs]
    out += [np.zeros_like(out[0]) for _ in range(6 - len(out))]
    for k in range(5):
        out[k + 1] += out[k] >> BITS
        out[k] &= MASK
    return out


def to_float(limbs: list[np.ndarray]) -> np.ndarray:
    """Normalised limbs → float64 dollars (approximate: for quotients, never for money)."""
    value = limbs[5].astype(np.float64)
    for k in (4, 3, 2, 1, 0):
        value = value * (1 << BITS) + limbs[k]
    return value / 1e15


def cents(limbs: list[np.ndarray]) -> np.ndarray:
    """Normalised limbs → int64 cents, half away from zero (advisory.money.to_cents)."""
    negative = limbs[5] < 0
    if negative.any():
        flipped = normalise([-limb for limb in limbs])
        limbs = [np.where(negative, f, v) for f, v in zip(flipped, limbs, strict=True)]
    if (limbs[5] >= 8).any():  # ≥ 8·2¹⁰⁰·10⁻¹⁵ ≈ 10¹⁶ dollars
        raise OverflowError("a market value does not fit decimal(18, 2)")
    rest = np.zeros(len(limbs[0]), np.uint64)
    out = np.zeros(len(limbs[0]), np.int64)
    top = max([k for k in range(6) if limbs[k].any()], default=0)
    for k in range(top, -1, -1):  # long division by 10¹³; rest·2²⁰ + limb < 1.05·10¹⁹
        current = (rest << np.uint64(BITS)) + limbs[k].astype(np.uint64)
        digit = current // np.uint64(CENT)
        rest = current - digit * np.uint64(CENT)
        out += digit.astype(np.int64) << (BITS * k)
    out += 2 * rest >= np.uint64(CENT)
    if (out >= 10**16 * 100).any():
        raise OverflowError("a market value does not fit decimal(18, 2)")
    return np.where(negative, -out, out)


def percent_units(
    value: list[np.ndarray], total: list[np.ndarray], owner: np.ndarray
) -> np.ndarray:
    """value / total[owner] × 100 in 0.0001 units, half away from zero (0 where total is 0).

    The float quotient is off by at most ~10⁻⁹ units, so it rounds right except right at a
    boundary; there the side is decided exactly: 2·10⁶·value ≥ (2n + 1)·total.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x = to_float(value) / to_float(total)[owner] * (100 * POINT)
    x = np.where(np.isfinite(x), x, 0.0)
    units = np.rint(x).astype(np.int64)
    floor = np.floor(x)
    near = np.abs(x - floor - 0.5) < 1e-6
    near &= (value[5] >= 0) & (total[5][owner] >= 0) & (x < 1e9)
    idx = np.flatnonzero(near)
    if len(idx):
        n, of = floor[idx].astype(np.int64), owner[idx]
        pairs = zip(value, total, strict=True)
        diff = [a[idx] * (2 * 100 * POINT) - b[of] * (2 * n + 1) for a, b in pairs]
        units[idx] = n + (normalise(diff)[5] >= 0)
    return units


def div_half_away(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den rounded half away from zero; 0 where den ≤ 0 (masked by the callers)."""
    den = np.where(den > 0, den, 1)
    quot, rem = np.divmod(np.abs(num), den)
    return np.sign(num) * (quot + (2 * rem >= den))
