"""What a position file would change, account by account, before anything is written.

Reads only: the accounts' current lots and the latest prices the firm sees.
The preview is stored as JSON on the staged import (amounts as exact decimal
strings), so the confirm page shows exactly what was previewed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from advisory.models import Account
from advisory.tenancy import active_firm_id
from portfolios.imports.owners import OwnerChange, planned_changes
from portfolios.imports.positions import PositionPlan, masked
from portfolios.models import TaxLot
from portfolios.valuation import latest_prices, pricing_date

MAX_PREVIEW_ACCOUNTS = 2000  # stored rows; the totals always count every account
DROP_FLAG = Decimal("0.5")  # an account whose value falls below half is flagged

LotKey = tuple[int, Decimal, Decimal | None, Any]


def holdings_digest(account_ids: Iterable[int]) -> str:
    """A digest of the accounts' current lots (content, not ids): equal digests, same holdings."""
    ids = sorted(set(account_ids))
    digest = hashlib.sha256(",".join(map(str, ids)).encode())
    lots = (
        TaxLot.objects.filter(account_id__in=ids)
        .order_by("account_id", "security_id", "acquired_on", "quantity", "cost_basis")
        .values_list("account_id", "security_id", "quantity", "cost_basis", "acquired_on")
    )
    for account_id, security_id, quantity, cost, acquired in lots.iterator(chunk_size=2000):
        cost_text = "" if cost is None else f"{cost.normalize():f}"
        line = f"{account_id}|{security_id}|{quantity.normalize():f}|{cost_text}|{acquired}\n"
        digest.update(line.encode())
    return digest.hexdigest()


def build_preview(plan: PositionPlan) -> dict[str, Any]:
    """Per account in the plan: lots added and removed, quantity and value before and after.

    Call inside the firm's scope. Accounts are listed flagged first (value
    falling by more than half), then by the size of the value change.
    """
    accounts = list(plan.groups)
    before: dict[int, list[LotKey]] = {a.pk: [] for a in accounts}
    lots = TaxLot.objects.filter(account__in=accounts).values_list(
        "account_id", "security_id", "quantity", "cost_basis", "acquired_on"
    )
    for account_id, *key in lots.iterator(chunk_size=2000):
        before[account_id].append(_key(*key))
    after = {
        account.pk: [
            _key(security.pk, lot.quantity, lot.cost_basis, lot.acquired_date)
            for lot, security in rows
            if lot.quantity > 0  # a zero row names the account but holds nothing
        ]
        for account, rows in plan.groups.items()
    }
    security_ids = {k[0] for keys in (*before.values(), *after.values()) for k in keys}
    as_of = pricing_date(firm_id=active_firm_id())
    closes = {
        pk: p.close for pk, p in latest_prices(security_ids, as_of, active_firm_id()).items()
    } if as_of else {}  # fmt: skip
    owners = planned_changes(plan.owners)
    rows = [_account_row(a, before[a.pk], after[a.pk], closes, owners.get(a.pk)) for a in accounts]
    rows.sort(key=lambda r: (not r["flagged"], -abs(Decimal(r["value_change"])), r["label"]))
    return {
        "as_of": as_of.isoformat() if as_of else None,
        "accounts_total": len(rows),
        "changed": sum(1 for r in rows if not r["unchanged"]),
        "flagged": sum(1 for r in rows if r["flagged"]),
        "lots_added": sum(r["lots_added"] for r in rows),
        "lots_removed": sum(r["lots_removed"] for r in rows),
        "owners_changed": sum(1 for r in rows if r["owners_changed"]),
        "accounts": rows[:MAX_PREVIEW_ACCOUNTS],
    }


def _key(security_id: int, quantity: Decimal, cost: Decimal | None, acquired: Any) -> LotKey:
    return (security_id, quantity.normalize(), None if cost is None else cost.normalize(), acquired)


def _account_row(
    account: Account,
    old: list[LotKey],
    new: list[LotKey],
    closes: dict[int, Decimal],
    owners: OwnerChange | None = None,
) -> dict[str, Any]:
    old_count, new_count = Counter(old), Counter(new)
    value_before, unpriced_before = _value(old, closes)
    value_after, unpriced_after = _value(new, closes)
    flagged = value_before > 0 and value_after < value_before * DROP_FLAG
    return {
        "account_id": account.pk,
        "label": f"{account.name} {masked(account.account_number)}",
        "lots_before": len(old),
        "lots_after": len(new),
        "lots_added": sum((new_count - old_count).values()),
        "lots_removed": sum((old_count - new_count).values()),
        "unchanged": old_count == new_count,
        "quantity_before": _text(sum((k[1] for k in old), Decimal(0))),
        "quantity_after": _text(sum((k[1] for k in new), Decimal(0))),
        "value_before": _text(value_before),
        "value_after": _text(value_after),
        "value_change": _text(value_after - value_before),
        "unpriced": unpriced_before or unpriced_after,
        "flagged": flagged,
        # Names before → after when the file sets this account's owners and they change.
        "owners_changed": bool(owners and owners.changed),
        "owners_before": owners.before if owners and owners.changed else [],
        "owners_after": owners.after if owners and owners.changed else [],
    }


def _value(lots: list[LotKey], closes: dict[int, Decimal]) -> tuple[Decimal, bool]:
    """Market value of the priced lots (to the cent) and whether any lot had no price."""
    total, unpriced = Decimal(0), False
    for security_id, quantity, _, _ in lots:
        close = closes.get(security_id)
        if close is None:
            unpriced = True
        else:
            total += quantity * close
    return total.quantize(Decimal("0.01")), unpriced


def _text(amount: Decimal) -> str:
    return f"{amount:f}"
