"""The proposal tests' desk: firm A's household on an 80/20 model, for the fake engine."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def desk(world_a, classes):
    return factories.make_desk(world_a, classes)
