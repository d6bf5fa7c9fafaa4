"""Constraints live in the database, not only in forms: accounts.

The portfolios side (securities, prices, lots, targets) is in tests/portfolios/test_models.py.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from advisory.tenancy import firm_scope


def test_account_numbers_are_unique_per_custodian_within_a_firm(world_a):
    account = world_a.account
    account.pk = None
    with firm_scope(world_a.firm), pytest.raises(IntegrityError), transaction.atomic():
        account.save()
