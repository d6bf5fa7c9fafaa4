"""The baseline a user would otherwise write: drift one account at a time with the ORM.

Careful, not sloppy: lots with ``select_related``, one latest-price query and
one targets query per account, Decimal maths, one ``update_or_create`` per
snapshot. Used only by ``bench_drift`` to measure what the batch saves.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from advisory.models import Account
from advisory.tenancy import firm_scope
from portfolios.models import DriftSnapshot, Target
from portfolios.valuation import latest_prices


def naive_account_drift(firm_id: int, account_ids: list[int], as_of: dt.date) -> int:
    """Compute and store account drift snapshots one account at a time."""
    with firm_scope(firm_id):
        for account in Account.objects.filter(pk__in=account_ids):
            lots = list(account.lots.select_related("security"))
            prices = latest_prices({lot.security_id for lot in lots}, as_of, firm_id)
            targets = list(Target.objects.filter(model_id=account.model_id))
            by_class: dict[int, Decimal] = defaultdict(Decimal)
            for lot in lots:
                price = prices.get(lot.security_id)
                if price is not None:
                    by_class[lot.security.asset_class_id] += lot.quantity * price.close
            total = sum(by_class.values(), account.cash_balance)
            worst, worst_drift = "", Decimal(0)
            for target in targets:
                weight = by_class[target.asset_class_id] * 100 / total if total else Decimal(0)
                drift = weight - target.weight
                if abs(drift) > target.abs_band and abs(drift) > abs(worst_drift):
                    worst, worst_drift = f"class:{target.asset_class_id}", drift
            DriftSnapshot.objects.update_or_create(
                firm_id=firm_id,
                kind="account",
                subject_id=account.pk,
                as_of=as_of,
                defaults={
                    "household_id": account.household_id,
                    "account_id": account.pk,
                    "model_id": account.model_id,
                    "status": "breached" if worst else "in_band",
                    "market_value": total.quantize(Decimal("0.01")),
                    "cash_value": account.cash_balance,
                    "worst_bucket": worst,
                    "worst_abs_drift": worst_drift.quantize(Decimal("0.0001")) if worst else None,
                    "computed_at": timezone.now(),
                },
            )
    return len(account_ids)
