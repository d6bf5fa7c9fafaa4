"""Shared fixtures. Fixtures run with scopes disabled (they build data for
several firms); tests themselves run unscoped, so a test that forgets the
firm scope fails instead of passing quietly (pretix's pattern)."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from tests import factories


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    with scopes_disabled():
        return (yield)


@pytest.fixture
def classes(db):
    return factories.asset_classes()


@pytest.fixture
def voo(classes):
    sec = factories.security("VOO", classes["us-large-cap"])
    factories.price(sec, "500.00", factories.AS_OF - dt.timedelta(days=1))
    factories.price(sec, "512.34", factories.AS_OF)
    return sec


@pytest.fixture
def bnd(classes):
    return factories.security("BND", classes["fixed-income"])


@pytest.fixture
def world_a(classes, voo):
    return factories.firm_world("alpha", "Alpha", classes, voo)


@pytest.fixture
def world_b(classes, voo):
    # Firm B's names carry a marker no firm-A page may ever show.
    return factories.firm_world("zeta", "ZetaSecret", classes, voo)


@pytest.fixture
def login(client):
    """Log the test client in as a membership's user."""

    def _login(membership):
        return factories.log_in(client, membership.user)

    return _login
