"""Model version tests: firm A's model (one 100% US large cap line, as factories make it)
plus IWM for small cap and BND for bonds, priced."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portfolios.model_versions import Line
from tests import factories


@pytest.fixture
def iwm(classes):
    sec = factories.security("IWM", classes["us-small-cap"])
    factories.price(sec, "250.00", factories.AS_OF)
    return sec


@pytest.fixture
def bnd_priced(bnd):
    factories.price(bnd, "72.00", factories.AS_OF)
    return bnd


def line(cls=None, sec=None, weight="0", abs_band="5", rel_band="25", preferred=None, eq=()):
    """A Line from objects (or None): keeps the tests' lines readable."""
    return Line(
        asset_class_id=cls.pk if cls else None,
        security_id=sec.pk if sec else None,
        weight=Decimal(weight),
        abs_band=Decimal(abs_band),
        rel_band=Decimal(rel_band),
        preferred_security_id=preferred.pk if preferred else None,
        equivalent_ids=tuple(s.pk for s in eq),
    )
