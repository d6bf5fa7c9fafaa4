"""An account's holdings as a client sees them: what they hold, at what price and on what
date, what it is worth and what share of the account it is, counted as the report PDF counts
them. Cost basis and gain only when the firm shows them; tax lots never."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from advisory.money import to_cents

ZERO = Decimal(0)


@dataclass(frozen=True)
class HoldingLine:
    symbol: str
    name: str
    asset_class: str
    quantity: Decimal
    price: Decimal | None
    price_date: dt.date | None
    value: Decimal | None  # rounded to cents; None: no price at all
    weight: Decimal | None  # percent of the account; None without a price
    old_price: bool  # priced, but not recently: shown and counted, marked with its date
    cost_basis: Decimal | None  # None: not shown, or unknown
    gain: Decimal | None


@dataclass(frozen=True)
class AccountHoldings:
    lines: list[HoldingLine]
    cash: Decimal
    cash_weight: Decimal | None
    total: Decimal
    shows_cost: bool


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    return part / whole * 100 if whole else None


def account_holdings(valuation, *, shows_cost: bool) -> AccountHoldings:
    """``valuation`` is a :class:`portfolios.queries.AccountValuation`."""
    total = valuation.statement_value
    lines = []
    for h in sorted(
        valuation.holdings, key=lambda h: (-(h.market_value or ZERO), h.security.symbol)
    ):
        value = to_cents(h.market_value) if h.market_value is not None else None
        lines.append(
            HoldingLine(
                symbol=h.security.symbol,
                name=h.security.name,
                asset_class=h.security.asset_class.name,
                quantity=h.quantity,
                price=h.price.close if h.price else None,
                price_date=h.price.date if h.price else None,
                value=value,
                weight=_percent(value, total) if value is not None else None,
                old_price=h.price is not None and h.stale,
                cost_basis=h.cost_basis if shows_cost else None,
                gain=h.unrealized_gain if shows_cost else None,
            )
        )
    return AccountHoldings(
        lines=lines,
        cash=to_cents(valuation.cash),
        cash_weight=_percent(to_cents(valuation.cash), total),
        total=total,
        shows_cost=shows_cost,
    )
