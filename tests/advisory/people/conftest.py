"""Fixtures of the firms-and-people tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client


@pytest.fixture
def client_factory(db) -> Callable[[], Client]:
    """Fresh browsers: the invited person, a second visitor, … each with its own session."""
    return Client
