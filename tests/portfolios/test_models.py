"""Constraints live in the database, not only in forms: securities, prices, lots, targets.

The advisory side (accounts) is in tests/advisory/test_models.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from advisory.tenancy import firm_scope
from portfolios.models import Target, TaxLot, validate_target_weights
from tests import factories


def test_symbols_are_unique(classes):
    factories.security("IWM", classes["us-small-cap"])
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.security("IWM", classes["us-small-cap"])


def test_one_price_per_security_date_and_source(voo):
    day = dt.date(2025, 12, 31)
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.price(voo, "1.00", day)
    factories.price(voo, "512.30", day, source="vendor")  # another source is fine


@pytest.mark.parametrize("close", ["0", "-1.5"])
def test_prices_must_be_positive(voo, close):
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.price(voo, close, dt.date(2025, 6, 2))


def test_quantities_cannot_be_negative(world_a, voo):
    with firm_scope(world_a.firm), pytest.raises(IntegrityError), transaction.atomic():
        TaxLot.objects.create(
            firm=world_a.firm,
            account=world_a.account,
            security=voo,
            quantity=Decimal("-1"),
            acquired_on=dt.date(2025, 1, 2),
        )


def test_unknown_cost_basis_is_stored_as_unknown_not_zero(world_a, voo):
    with firm_scope(world_a.firm):
        lot = TaxLot.objects.create(
            firm=world_a.firm,
            account=world_a.account,
            security=voo,
            quantity=Decimal("3"),
            cost_basis=None,
            acquired_on=dt.date(2025, 1, 2),
        )
        lot.refresh_from_db()
    assert lot.cost_basis is None
    assert not lot.cost_basis_known


def test_target_weights_must_sum_to_100():
    validate_target_weights([Decimal("45"), Decimal("15"), Decimal("40")])
    with pytest.raises(ValidationError, match=r"sum to 99\.9%"):
        validate_target_weights([Decimal("45"), Decimal("15"), Decimal("39.9")])


def test_target_names_a_class_or_a_security_not_both(world_a, classes, voo):
    with firm_scope(world_a.firm), pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            firm=world_a.firm,
            model=world_a.model,
            asset_class=classes["us-small-cap"],
            security=voo,
            weight=Decimal("10"),
        )


def test_target_weight_cannot_exceed_100(world_a, classes):
    with firm_scope(world_a.firm), pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            firm=world_a.firm,
            model=world_a.model,
            asset_class=classes["us-small-cap"],
            weight=Decimal("100.5"),
        )
