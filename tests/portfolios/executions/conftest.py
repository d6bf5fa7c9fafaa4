"""The execution tests' desk: firm A's household on an 80/20 model, proposals by the fake engine
(sell 2 VOO from the first lot, buy 8 IWM), exported and waiting for their execution file."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def desk(world_a, classes):
    return factories.make_desk(world_a, classes)
