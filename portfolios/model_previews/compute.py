"""One household of a preview: the engine's proposal, summed into what the committee reads.

The trades come from :func:`portfolios.rebalance.engine.propose` itself (checked by the same
:func:`~portfolios.proposals.core.run_engine` a proposal uses), so a preview's trades and
gains are, to the share and the cent, those of a single proposal on the same data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from advisory.money import to_cents
from portfolios.model_previews.loading import Loaded
from portfolios.models import PreviewOutcome
from portfolios.proposals import arithmetic as pm
from portfolios.proposals.core import ProposalError, run_engine
from portfolios.rebalance.types import Proposal, ProposalInput

ZERO = Decimal("0.00")


def preview_row(loaded: Loaded) -> dict[str, Any]:
    """The fields of a ModelPreviewHousehold row for one household (outcome, money, trades)."""
    base = {"household_id": loaded.household_id, "advisor_id": loaded.advisor_id}
    if loaded.data is None:
        return {**base, "outcome": PreviewOutcome.FAILED, "detail": _clip(loaded.error)}
    try:
        result = run_engine(None, loaded.data)
    except (ProposalError, ValueError, ArithmeticError) as exc:
        return {**base, "outcome": PreviewOutcome.FAILED, "detail": _clip(str(exc))}
    return {**base, **summarise(loaded.data, result)}


def summarise(data: ProposalInput, result: Proposal) -> dict[str, Any]:
    """Money and bands of one proposal, and its trades and notes as JSON."""
    buys = sum((to_cents(t.value) for t in result.trades if t.side == "buy"), ZERO)
    sells = sum((to_cents(t.value) for t in result.trades if t.side == "sell"), ZERO)
    cash_before = sum((a.cash for a in data.accounts), ZERO)
    cash_after = sum((result.cash_after.get(a.account_id, a.cash) for a in data.accounts), ZERO)
    return {
        "outcome": PreviewOutcome.TRADES if result.trades else PreviewOutcome.NO_TRADES,
        "detail": "",
        "market_value": to_cents(result.total_value),
        "trade_count": len(result.trades),
        "buy_value": buys,
        "sell_value": sells,
        "realized_short_term": to_cents(result.realized_short_term),
        "realized_long_term": to_cents(result.realized_long_term),
        "cash_before": to_cents(cash_before),
        "cash_after": to_cents(cash_after),
        "breached_new": any(p.breached_before for p in result.projection),
        "breached_after": any(p.breached_after for p in result.projection),
        "trades": [trade_json(t) for t in result.trades],
        "notes": [n.as_json() for n in result.notes],
    }


def trade_json(t: Any) -> dict[str, Any]:
    return {
        "account_id": t.account_id,
        "security_id": t.security_id,
        "symbol": t.symbol,
        "side": t.side,
        "quantity": pm.plain(t.quantity),
        "price": pm.plain(t.price),
        "value": str(to_cents(t.value)),
        "reason": t.reason,
        "lots": pm.lots_to_json(t.lots),
    }


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
