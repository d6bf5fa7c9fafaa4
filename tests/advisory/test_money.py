"""Money is Decimal all the way, and rounding happens once, at display."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models

from advisory.money import market_value, to_cents
from advisory.tenancy import firm_scope
from portfolios.models import TaxLot
from portfolios.valuation import value_accounts
from tests import factories


def test_a_value_float_gets_wrong_by_a_cent_is_exact():
    quantity, close = Decimal("0.5"), Decimal("2.01")
    # Binary floating point stores 1.005 as 1.00499999…, so it rounds down.
    assert round(float(quantity) * float(close), 2) == 1.0
    assert to_cents(market_value(quantity, close)) == Decimal("1.01")


def test_position_valued_exactly_through_the_database(world_a, classes):
    sec = factories.security("ODD", classes["us-small-cap"])
    factories.price(sec, "2.010000", dt.date(2025, 12, 31))
    with firm_scope(world_a.firm):
        TaxLot.objects.create(
            firm=world_a.firm,
            account=world_a.account,
            security=sec,
            quantity=Decimal("0.5"),
            cost_basis=Decimal("1.00"),
            acquired_on=dt.date(2025, 1, 2),
        )
        valuation = value_accounts([world_a.account])[world_a.account.pk]
    holding = next(h for h in valuation.holdings if h.security.symbol == "ODD")
    assert isinstance(holding.market_value, Decimal)
    assert holding.market_value == Decimal("1.005")
    assert to_cents(holding.market_value) == Decimal("1.01")
    # 10 VOO at 512.34 + 0.5 ODD at 2.01 + 1,000.00 cash, no float drift.
    assert valuation.total == Decimal("5123.40") + Decimal("1.005") + Decimal("1000.00")


def test_many_small_lots_sum_exactly(world_a, classes):
    sec = factories.security("TENTH", classes["us-small-cap"])
    factories.price(sec, "0.10", dt.date(2025, 12, 31))
    with firm_scope(world_a.firm):
        for _ in range(10):
            TaxLot.objects.create(
                firm=world_a.firm,
                account=world_a.other_account,
                security=sec,
                quantity=Decimal("1"),
                cost_basis=Decimal("0.10"),
                acquired_on=dt.date(2025, 1, 2),
            )
        valuation = value_accounts([world_a.other_account])[world_a.other_account.pk]
    assert sum([0.1] * 10) != 1.0  # what float would have given
    assert valuation.securities_value == Decimal("1.00")


def test_to_cents_refuses_floats():
    with pytest.raises(TypeError):
        to_cents(1.005)  # type: ignore[arg-type]


def test_no_float_fields_in_our_models():
    floats = [
        f"{m._meta.label}.{f.name}"
        for m in apps.get_models()
        if m._meta.app_label in {"advisory", "portfolios", "reports"}
        for f in m._meta.fields
        if isinstance(f, models.FloatField)
    ]
    assert floats == []
