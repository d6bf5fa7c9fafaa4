"""Editing a draft's trades: change a quantity, remove a trade, add one.

Each edit checks the whole trade list against current data (whole shares,
never selling more than held, cash never below zero, restricted lists),
re-projects totals and class weights (:mod:`portfolios.proposals.arithmetic`),
bumps the version and writes one audit event with the trade before/after.
A stale draft cannot be edited: refresh it first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from advisory import audit_actions as actions
from advisory.audit import diff, snapshot
from advisory.models import Account, User
from advisory.money import market_value, to_cents
from portfolios.models import Proposal, ProposalState, ProposedTrade, Security
from portfolios.proposals import arithmetic as pm
from portfolios.proposals.core import (
    audit,
    claim,
    fresh_input,
    in_firm,
    load,
    trades_summary,
    writer,
)
from portfolios.proposals.inputs import fingerprint
from portfolios.rebalance.types import ProposalInput


@dataclasses.dataclass
class _Edit:
    rows: list[ProposedTrade]  # the trades after the edit, in order
    before: dict[str, Any] | None = None  # the trade before, for the audit event
    changed: ProposedTrade | None = None  # saved (created when it has no pk)
    removed: ProposedTrade | None = None


def _edit(
    proposal: Proposal,
    actor: User,
    expected_version: int,
    action: str,
    change: Callable[[Proposal, ProposalInput, list[ProposedTrade]], _Edit],
    *,
    field: str = "quantity",
    also: tuple[int, ...] = (),
) -> Proposal:
    """Apply ``change`` to a draft's trades, check them all, store, re-project, audit."""
    with in_firm(proposal.firm_id):
        current = load(proposal)
        membership = writer(actor, current.household_id)
        before = claim(current, expected_version, {ProposalState.DRAFT}, "edited")
        data = fresh_input(current, also=also)
        edit = change(current, data, list(current.trades.order_by("position", "pk")))
        trades = [pm.trade_of(r, pm.symbol_of(data, r.security_id)) for r in edit.rows]
        pm.check_trades(data, trades, field=field)
        if edit.removed is not None:
            edit.removed.delete()
        if edit.changed is not None:
            edit.changed.save()
        result = pm.reproject(data, trades)
        current.trade_value = to_cents(result.trade_value)
        current.realized_short_term = to_cents(result.realized_short_term)
        current.realized_long_term = to_cents(result.realized_long_term)
        current.cash_after = {str(k): str(v) for k, v in sorted(result.cash_after.items())}
        current.projection = pm.projection_to_json(result.projection)
        current.inputs_fingerprint = fingerprint(data, {r.security_id for r in edit.rows})
        current.save()
        after = trades_summary([edit.changed])[0] if edit.changed is not None else None
        changes = {"trade": {"before": edit.before, "after": after}}
        audit(current, action, actor, membership, {**changes, **diff(before, snapshot(current))})
        return current


def _row(rows: list[ProposedTrade], trade_id: int) -> ProposedTrade:
    try:
        wanted = int(trade_id)
    except (TypeError, ValueError):
        wanted = None
    for row in rows:
        if row.pk == wanted:
            return row
    raise ValidationError({"trade_id": "There is no such trade in this proposal."})


def _sell_lots(data: ProposalInput, row: ProposedTrade, prefer: list[int]) -> list[dict]:
    lots = pm.allocate_lots(
        data,
        account_id=row.account_id,
        security_id=row.security_id,
        quantity=row.quantity,
        price=row.price,
        prefer=prefer,
    )
    return pm.lots_to_json(lots)


def edit_trade(
    *, proposal: Proposal, trade_id: int, quantity: Any, expected_version: int, actor: User
) -> Proposal:
    """Change a trade's quantity (a sell takes its lots again, its earlier lots first)."""

    def change(current: Proposal, data: ProposalInput, rows: list[ProposedTrade]) -> _Edit:
        row = _row(rows, trade_id)
        before = trades_summary([row])[0]
        proposed = row.quantity
        row.quantity = pm.check_quantity(data, row.account_id, quantity)
        row.value = to_cents(market_value(row.quantity, row.price))
        row.edited = True
        if row.quantity != proposed:
            # Keep the engine's reason, and say plainly that a person changed the number.
            engine_reason = row.reason.split(" Edited by ", 1)[0].removesuffix(".")
            row.reason = f"{engine_reason}. Edited by {actor} to {row.quantity.normalize():f}."
        if row.side == ProposedTrade.Side.SELL:
            row.lots = _sell_lots(data, row, [lot["lot_id"] for lot in row.lots])
        return _Edit(rows, before=before, changed=row)

    return _edit(proposal, actor, expected_version, actions.PROPOSAL_TRADE_EDITED.code, change)


def remove_trade(
    *, proposal: Proposal, trade_id: int, expected_version: int, actor: User
) -> Proposal:
    def change(current: Proposal, data: ProposalInput, rows: list[ProposedTrade]) -> _Edit:
        row = _row(rows, trade_id)
        rest = [r for r in rows if r is not row]
        return _Edit(rest, before=trades_summary([row])[0], removed=row)

    return _edit(
        proposal,
        actor,
        expected_version,
        actions.PROPOSAL_TRADE_REMOVED.code,
        change,
        field=NON_FIELD_ERRORS,
    )


def add_trade(
    *,
    proposal: Proposal,
    account: Account | int,
    security: Security | int,
    side: str,
    quantity: Any,
    expected_version: int,
    actor: User,
) -> Proposal:
    """Add a buy or sell at the security's current price, after the other trades."""
    account_id, security_id = getattr(account, "pk", account), getattr(security, "pk", security)

    def change(current: Proposal, data: ProposalInput, rows: list[ProposedTrade]) -> _Edit:
        if side not in ProposedTrade.Side.values:
            raise ValidationError({"side": "Choose buy or sell."})
        info = data.securities.get(security_id)
        if info is None:
            as_of = data.options.as_of
            raise ValidationError({"security": f"This security has no price on or before {as_of}."})
        quantity_ = pm.check_quantity(data, account_id, quantity)
        row = ProposedTrade(
            firm_id=current.firm_id,
            proposal=current,
            account_id=account_id,
            security_id=security_id,
            side=side,
            quantity=quantity_,
            price=info.price,
            value=to_cents(market_value(quantity_, info.price)),
            reason=f"Added by {actor}.",
            edited=True,
            position=max((r.position for r in rows), default=-1) + 1,
        )
        if side == ProposedTrade.Side.SELL:
            row.lots = _sell_lots(data, row, [])
        return _Edit([*rows, row], changed=row)

    return _edit(
        proposal,
        actor,
        expected_version,
        actions.PROPOSAL_TRADE_ADDED.code,
        change,
        also=(security_id,),
    )
