"""API clients for firm A's personas: by browser session or by bearer token, and the drifted
60/40 desk of the proposal pages (the real engine)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from advisory.models import Membership, TokenScope
from tests import factories
from tests.api.harness import bearer, make_token


@pytest.fixture
def api() -> Callable[..., Client]:
    """``api(membership)``: a client signed in by session; ``token="read"|"write"``: by token;
    ``stepped_up=True``: a session with a second factor entered a moment ago."""

    def make(membership: Membership, *, token: str | None = None, stepped_up: bool = False):
        client = Client()
        if token is not None:
            scope = TokenScope.WRITE if token == "write" else TokenScope.READ
            client.defaults.update(bearer(make_token(membership, scope)))
        elif stepped_up:
            factories.stepped_up(client, membership.user)
        else:
            factories.log_in(client, membership.user)
        return client

    return make


@pytest.fixture
def desk(world_a, classes):
    with scopes_disabled():
        return factories.two_class_desk(world_a, classes, factories.AS_OF)
