"""The overview's arithmetic: where a period starts and the change over it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from advisory.portal.periods import DEFAULT_PERIOD, period_named
from advisory.portal.summary import change_over


@pytest.mark.parametrize(
    ("key", "as_of", "start"),
    [
        ("ytd", dt.date(2025, 12, 31), dt.date(2025, 1, 1)),
        ("3m", dt.date(2025, 12, 31), dt.date(2025, 9, 30)),
        ("3m", dt.date(2026, 2, 15), dt.date(2025, 11, 15)),
        ("12m", dt.date(2024, 2, 29), dt.date(2023, 2, 28)),  # no Feb 29 in 2023
        ("3m", dt.date(2025, 5, 31), dt.date(2025, 2, 28)),
    ],
)
def test_period_starts(key, as_of, start):
    assert period_named(key).start(as_of) == start


def test_unknown_period_is_the_default():
    assert period_named("forever") is DEFAULT_PERIOD
    assert period_named(None) is DEFAULT_PERIOD


HISTORY = [
    (dt.date(2025, 6, 30), Decimal("900.00")),
    (dt.date(2025, 9, 30), Decimal("1000.00")),
    (dt.date(2025, 10, 31), Decimal("1100.00")),
]


def test_change_from_the_last_value_on_or_before_the_start():
    change = change_over(HISTORY, dt.date(2025, 10, 1), Decimal("1250.00"))
    assert change.since == dt.date(2025, 9, 30)
    assert change.start_value == Decimal("1000.00")
    assert change.amount == Decimal("250.00")
    assert change.percent == Decimal("25.00")


def test_change_from_the_first_value_when_history_starts_later():
    change = change_over(HISTORY, dt.date(2025, 1, 1), Decimal("450.00"))
    assert change.since == dt.date(2025, 6, 30)
    assert change.amount == Decimal("-450.00")
    assert change.percent == Decimal("-50.00")


def test_no_history_no_change():
    assert change_over([], dt.date(2025, 1, 1), Decimal("1")) is None


def test_zero_start_value_has_no_percent():
    change = change_over([(dt.date(2025, 1, 1), Decimal("0"))], dt.date(2025, 1, 1), Decimal("5"))
    assert change.amount == Decimal("5") and change.percent is None
