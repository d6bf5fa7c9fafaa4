"""The restriction tests' desk: firm A's household on an 80/20 model (VOO held, IWM to buy)."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def desk(world_a, classes):
    return factories.make_desk(world_a, classes)
