"""The band rule, stated once: how far a bucket may stray from its target.

A bucket is outside its band when its absolute drift exceeds the absolute band (points)
*or* its relative drift exceeds the relative band (percent of target): the 5/25 rule by
default. Both tests together are one width, the tighter of the two, around the target.
The drift engine applies the same rule vectorised on integers (``drift.engine``); the
rebalance engine, the proposal projection, the charts and the model forms use this module.
"""

from __future__ import annotations

from decimal import Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
DEFAULT_ABS_BAND = Decimal(5)  # points: the 5 of 5/25
DEFAULT_REL_BAND = Decimal(25)  # percent of the target: the 25 of 5/25
# Holdings no target claims form an "unassigned" bucket with target 0 and no relative band:
# above 5% of the portfolio they breach.
UNASSIGNED_ABS_BAND = Decimal(5)


def band_width(target: Decimal, abs_band: Decimal, rel_band: Decimal) -> Decimal:
    """The tighter of the absolute and relative bands around a target, in points."""
    return min(abs_band, target * rel_band / HUNDRED) if target > 0 else abs_band


def band_limits(target: Decimal, abs_band: Decimal, rel_band: Decimal) -> tuple[Decimal, Decimal]:
    """The band's edges in percent of the portfolio, clipped to 0–100."""
    width = band_width(target, abs_band, rel_band)
    return max(target - width, ZERO), min(target + width, HUNDRED)


def is_breached(weight: Decimal, target: Decimal, abs_band: Decimal, rel_band: Decimal) -> bool:
    """Strictly outside the band: a weight exactly on an edge is inside."""
    return abs(weight - target) > band_width(target, abs_band, rel_band)
