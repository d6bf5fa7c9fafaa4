"""Which models the replica router never reads from the replica: whatever decides who may do
what (a deactivated member, a revoked API token, a signed-out session must take effect at
once, not after the replica's lag). Pure: no standby needed (tests/config/replica has those)."""

from __future__ import annotations

from django.contrib.sessions.models import Session

from advisory.models import ApiToken, Household, Membership, User
from config.db_routing.router import _primary_only
from portfolios.models import TaxLot


def test_access_deciding_models_always_read_the_primary():
    for model in (Membership, ApiToken, User, Session):
        assert _primary_only(model), model


def test_tenant_data_may_read_the_replica():
    for model in (Household, TaxLot):
        assert not _primary_only(model), model
