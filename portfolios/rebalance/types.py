"""The plain data that goes into and comes out of :func:`portfolios.rebalance.engine.propose`.

No ORM, no Django: callers build these from the database (or from tests) and
store what comes back. Money, prices and quantities are ``Decimal``; weights
and bands are in percent (15 means 15%).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Mode = Literal["to_target", "to_band", "buy_only", "raise_cash"]
Side = Literal["buy", "sell"]
TaxStatus = Literal["taxable", "tax_deferred", "tax_exempt"]
Term = Literal["short", "long", "unknown"]
Scope = Literal["firm", "household", "account"]


@dataclass(frozen=True)
class Lot:
    lot_id: int
    security_id: int
    quantity: Decimal
    cost_basis: Decimal | None  # total cost of the lot; None = unknown, never zero
    acquired_on: dt.date


@dataclass(frozen=True)
class SecurityInfo:
    security_id: int
    symbol: str
    asset_class_id: int
    price: Decimal  # the price the proposal uses
    price_date: dt.date


@dataclass(frozen=True)
class AccountInput:
    account_id: int
    name: str
    tax_status: TaxStatus
    cash: Decimal
    lots: tuple[Lot, ...]
    fractional: bool = False
    held_away: bool = False  # counts toward household weights, never traded
    do_not_buy: frozenset[int] = frozenset()  # security ids, account level
    do_not_sell: frozenset[int] = frozenset()


@dataclass(frozen=True)
class TargetInput:
    target_id: int
    label: str  # e.g. "US small cap"
    weight: Decimal
    abs_band: Decimal = Decimal(5)
    rel_band: Decimal = Decimal(25)
    asset_class_id: int | None = None  # exactly one of asset_class_id / security_id
    security_id: int | None = None
    preferred_security_id: int | None = None  # what to buy to fill it
    equivalent_ids: frozenset[int] = frozenset()  # count toward it, not sold just to swap
    # Asset location: in a household, buy it in tax-deferred accounts first (bonds, REITs);
    # from AssetClass.prefers_tax_deferred.
    tax_deferred_first: bool = False


@dataclass(frozen=True)
class RecentTrade:
    """A trade already executed in some account of the household (wash-sale look-back)."""

    account_id: int
    security_id: int
    side: Side
    trade_date: dt.date
    at_loss: bool = False  # for sells: realised a loss


@dataclass(frozen=True)
class Options:
    mode: Mode = "to_target"
    as_of: dt.date = dt.date(2025, 12, 31)
    raise_amount: Decimal = Decimal(0)  # raise_cash: the withdrawal to fund
    cash_reserve_amount: Decimal = Decimal(0)  # keep at least this much cash…
    cash_reserve_pct: Decimal = Decimal(0)  # …or this % of the value, whichever is larger
    min_trade_value: Decimal = Decimal(0)
    wash_sale_days: int = 30
    stale_days: int = 5  # a price older than this before as_of is never traded on
    do_not_buy: frozenset[int] = frozenset()  # firm and household level lists, merged
    do_not_sell: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RestrictionInfo:
    """Who put a security on a do-not-buy or do-not-sell list, and why (for the notes).

    The lists that block trades are ``Options.do_not_buy``/``do_not_sell`` (firm and
    household) and ``AccountInput.do_not_buy``/``do_not_sell``; this only names them.
    """

    security_id: int
    side: Side  # "buy": do not buy; "sell": do not sell
    scope: Scope
    scope_label: str  # "firm-wide", the household's or the account's name
    reason: str
    account_id: int | None = None  # scope "account" only


@dataclass(frozen=True)
class ProposalInput:
    """One account (scope "account") or a whole household (scope "household")."""

    scope: Literal["account", "household"]
    accounts: tuple[AccountInput, ...]
    securities: Mapping[int, SecurityInfo]  # every security held or buyable
    targets: tuple[TargetInput, ...]
    cash_class_id: int
    options: Options = field(default_factory=Options)
    recent_trades: tuple[RecentTrade, ...] = ()
    restrictions: tuple[RestrictionInfo, ...] = ()  # descriptions of the lists above


@dataclass(frozen=True)
class LotSale:
    lot_id: int
    quantity: Decimal
    cost_basis: Decimal | None  # of the quantity sold; None when unknown
    gain: Decimal | None  # None when the basis is unknown
    term: Term


@dataclass(frozen=True)
class Trade:
    account_id: int
    security_id: int
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    value: Decimal  # quantity × price, to the cent
    # One plain sentence, e.g. "US small cap 9.1% vs target 15% (band ±3.75): buy 41 IWM".
    reason: str
    lots: tuple[LotSale, ...] = ()  # sells only


@dataclass(frozen=True)
class ClassProjection:
    target_id: int | None  # None for holdings outside every target
    label: str
    current_weight: Decimal
    projected_weight: Decimal
    target: Decimal
    low: Decimal  # band edges in percent
    high: Decimal
    breached_before: bool
    breached_after: bool


@dataclass(frozen=True)
class Note:
    """One note of a proposal: the sentence and its parts, for reports and the API.

    ``rule`` is the precedence rule that won (docs/rebalancing.md, 1–7; None for plain
    information), ``subject`` what it is about (a bucket label, a symbol or an account),
    ``effect`` a short code (see docs/rebalancing.md "Notes") and ``drift_left`` the signed
    points of drift the bucket keeps because of it ("+10.0", "-5.9"), when it applies.
    """

    text: str
    rule: int | None = None
    subject: str = ""
    effect: str = "info"
    drift_left: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "subject": self.subject,
            "effect": self.effect,
            "drift_left": self.drift_left,
            "text": self.text,
        }


@dataclass(frozen=True)
class Proposal:
    trades: tuple[Trade, ...]
    projection: tuple[ClassProjection, ...]
    realized_short_term: Decimal
    realized_long_term: Decimal
    cash_after: Mapping[int, Decimal]  # per account id
    notes: tuple[Note, ...]  # skips, constraints that won, wash sales avoided, unknown bases
    total_value: Decimal
