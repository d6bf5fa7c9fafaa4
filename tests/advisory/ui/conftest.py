"""The advisor's daily surfaces: the drifted 60/40 desk of the proposal pages (real engine)."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from tests import factories


@pytest.fixture
def desk(world_a, classes):
    with scopes_disabled():
        return factories.two_class_desk(world_a, classes, factories.AS_OF)
