"""Helpers of the API core tests: tokens made as the tokens page makes them, and a client
that sends one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from advisory.api import tokens
from advisory.models import Membership
from advisory.tenancy import firm_scope


def make_token(membership: Membership, scope: str = "write", days: int = 90) -> str:
    with firm_scope(membership.firm):
        _token, secret = tokens.create_token(
            membership=membership, name="Test token", scope=scope, days=days
        )
    return secret


def bearer(secret: str) -> Client:
    """A test client (no session, no CSRF) that authenticates with ``secret``."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


@pytest.fixture
def token_client() -> Callable[..., Client]:
    def _make(membership: Membership, scope: str = "write", days: int = 90) -> Client:
        return bearer(make_token(membership, scope, days))

    return _make
