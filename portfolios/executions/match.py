"""Matching fills to a proposal's trades, and refusing what must not be applied.

A fill matches the proposal's trade with the same account, security and side
(several such trades are filled in proposal order). Reported, and applied,
because the custodian did them and the books must say so:

* a trade filled in full, in part (the rest "not done"), or not at all;
* an over-fill: the quantity beyond the proposed one is listed as unmatched;
* a fill in one of the proposal's accounts that nothing proposed: unmatched.

Refused, naming the line (nothing is applied while any remains):

* an account number the firm does not have, an account outside the proposal,
  an account held away, a symbol nobody knows;
* a fill id already imported (a second execution of the same fill);
* a trade date before the proposal's as-of date;
* a sell of more shares than the account holds at that point (oversell).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from advisory.models import Account
from advisory.money import ZERO, market_value, to_cents
from portfolios.executions.parse import HEADERS, FillRow
from portfolios.imports.csv_rows import RowError, shown
from portfolios.models import Fill, Proposal, ProposedTrade, Security, TaxLot
from portfolios.proposals.arithmetic import plain

Key = tuple[int, int, str]  # account, security, side
Holding = tuple[int, int]  # account, security


@dataclass
class MatchedFill:
    row: FillRow
    account: Account
    security: Security
    trade: ProposedTrade | None = None
    excess: Decimal = ZERO  # beyond what the proposal asked for (all of it: no trade)

    @property
    def amount(self) -> Decimal:
        """Net cash: the file's net amount, else quantity × price to the cent."""
        if self.row.amount is not None:
            return self.row.amount
        return to_cents(market_value(self.row.quantity, self.row.price))

    @property
    def key(self) -> Key:
        return (self.account.pk, self.security.pk, self.row.side)


@dataclass
class TradeOutcome:
    trade: ProposedTrade
    filled: Decimal = ZERO
    lines: list[int] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.filled == 0:
            return "not_done"
        if self.filled < self.trade.quantity:
            return "partial"
        return "filled" if self.filled == self.trade.quantity else "over"


@dataclass
class Matching:
    proposal: Proposal
    fills: list[MatchedFill]
    outcomes: list[TradeOutcome]
    errors: list[RowError]
    cash: dict[int, tuple[Account, Decimal, Decimal]]  # account → (account, before, after)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unmatched(self) -> list[MatchedFill]:
        return [f for f in self.fills if f.excess > 0]

    def counts(self) -> dict[str, int]:
        counts = {"fills": len(self.fills), "unmatched": len(self.unmatched)}
        for status in ("filled", "partial", "not_done", "over"):
            counts[status] = sum(1 for o in self.outcomes if o.status == status)
        return counts

    def summary(self) -> dict[str, Any]:
        """What was done per trade, what nobody asked for, cash moved: stored on the Execution."""
        return {
            "counts": self.counts(),
            "trades": [
                {"trade": o.trade.pk, "account": o.trade.account.name,
                 "symbol": o.trade.security.symbol, "side": o.trade.side,
                 "proposed": plain(o.trade.quantity), "filled": plain(o.filled),
                 "not_done": plain(max(o.trade.quantity - o.filled, ZERO)),
                 "status": o.status, "lines": o.lines}
                for o in self.outcomes
            ],
            "unmatched": [
                {"line": f.row.line, "account": f.account.name, "symbol": f.security.symbol,
                 "side": f.row.side, "quantity": plain(f.excess),
                 "reason": "more than proposed" if f.trade else "nothing proposed"}
                for f in self.unmatched
            ],
            "cash": [
                {"account": account.name, "before": str(before), "after": str(after)}
                for account, before, after in self.cash.values()
            ],
        }  # fmt: skip


def match(
    proposal: Proposal,
    rows: Iterable[FillRow],
    *,
    held: Mapping[Holding, Decimal] | None = None,
    accounts: Mapping[int, Account] | None = None,
) -> Matching:
    """Resolve and match ``rows`` against ``proposal``; every refusal goes into ``errors``.

    Runs in the proposal's firm scope. ``held`` (shares per account and security)
    and ``accounts`` default to the database; :mod:`~portfolios.executions.apply`
    passes the rows it has locked.
    """
    rows = list(rows)
    errors: list[RowError] = []
    trades = list(proposal.trades.select_related("account", "security").order_by("position", "pk"))
    in_scope = _scope_accounts(proposal, accounts)
    by_number = {a.account_number: a for a in in_scope.values()}
    wanted = {r.account_number for r in rows} - set(by_number)
    elsewhere = set(Account.objects.filter(account_number__in=wanted).values_list(
        "account_number", flat=True
    ))  # fmt: skip
    symbols = {r.symbol for r in rows}
    securities = {s.symbol: s for s in Security.objects.filter(symbol__in=symbols)}
    imported = _imported_fill_ids({r.fill_id for r in rows if r.fill_id})

    fills: list[MatchedFill] = []
    for r in rows:
        problems = _refusals(proposal, r, by_number, elsewhere, securities, imported)
        errors.extend(problems)
        if not problems:
            fills.append(MatchedFill(r, by_number[r.account_number], securities[r.symbol]))

    outcomes = _assign(trades, fills)
    if held is None:
        held = _held({f.account.pk for f in fills})
    errors.extend(_oversells(fills, held))
    errors.sort(key=lambda e: (e.row or 0, e.column or ""))
    return Matching(proposal, fills, outcomes, errors, _cash(fills, in_scope))


def _scope_accounts(
    proposal: Proposal, accounts: Mapping[int, Account] | None
) -> dict[int, Account]:
    if accounts is not None:
        return dict(accounts)
    query = Account.objects.filter(household_id=proposal.household_id)
    if proposal.account_id:
        query = query.filter(pk=proposal.account_id)
    return {a.pk: a for a in query}


def _imported_fill_ids(fill_ids: set[str]) -> dict[str, int]:
    """Fill ids already stored in the firm → the proposal they executed."""
    if not fill_ids:
        return {}
    return dict(
        Fill.objects.filter(external_id__in=fill_ids).values_list(
            "external_id", "execution__proposal_id"
        )
    )


def _refusals(
    proposal: Proposal,
    r: FillRow,
    by_number: Mapping[str, Account],
    elsewhere: set[str],
    securities: Mapping[str, Security],
    imported: Mapping[str, int],
) -> list[RowError]:
    problems: list[RowError] = []
    account = by_number.get(r.account_number)
    where = HEADERS["account_number"]
    if account is None and r.account_number in elsewhere:
        problems.append(RowError(r.line, where, f"account {shown(r.account_number)} is not "
                                 "part of this proposal"))  # fmt: skip
    elif account is None:
        problems.append(RowError(r.line, where, f"no account {shown(r.account_number)} here"))
    elif account.held_away:
        problems.append(RowError(r.line, where, f"account {shown(account.name)} is held away"))
    if r.symbol not in securities:
        problems.append(RowError(r.line, HEADERS["symbol"], f"unknown symbol {shown(r.symbol)}"))
    if r.fill_id and r.fill_id in imported:
        message = (
            f"fill id {shown(r.fill_id)} was already imported (proposal #{imported[r.fill_id]})"
        )
        problems.append(RowError(r.line, HEADERS["fill_id"], message))
    if r.trade_date < proposal.as_of:
        message = f"trade date {r.trade_date} is before the proposal's date {proposal.as_of}"
        problems.append(RowError(r.line, HEADERS["trade_date"], message))
    return problems


def _assign(trades: list[ProposedTrade], fills: list[MatchedFill]) -> list[TradeOutcome]:
    """Each fill to the first trade of its key with something left; the rest is excess."""
    outcomes = [TradeOutcome(t) for t in trades]
    by_key: dict[Key, list[TradeOutcome]] = defaultdict(list)
    for o in outcomes:
        by_key[(o.trade.account_id, o.trade.security_id, o.trade.side)].append(o)
    for f in fills:
        candidates = by_key.get(f.key)
        if not candidates:
            f.excess = f.row.quantity
            continue
        target = next((o for o in candidates if o.filled < o.trade.quantity), candidates[-1])
        room = max(target.trade.quantity - target.filled, ZERO)
        f.trade, f.excess = target.trade, max(f.row.quantity - room, ZERO)
        target.filled += f.row.quantity
        target.lines.append(f.row.line)
    return outcomes


def _held(account_ids: set[int]) -> dict[Holding, Decimal]:
    held: dict[Holding, Decimal] = defaultdict(lambda: ZERO)
    lots = TaxLot.objects.filter(account__in=account_ids, quantity__gt=0)
    for account_id, security_id, quantity in lots.values_list(
        "account_id", "security_id", "quantity"
    ):
        held[(account_id, security_id)] += quantity
    return held


def apply_order(fills: Iterable[MatchedFill]) -> list[MatchedFill]:
    """The order fills are applied in: by trade date, sells before buys, then file order."""
    return sorted(fills, key=lambda f: (f.row.trade_date, f.row.side != "sell", f.row.line))


def _oversells(fills: list[MatchedFill], held: Mapping[Holding, Decimal]) -> list[RowError]:
    position = defaultdict(lambda: ZERO, held)
    errors = []
    for f in apply_order(fills):
        holding = (f.account.pk, f.security.pk)
        if f.row.side == "buy":
            position[holding] += f.row.quantity
            continue
        if f.row.quantity > position[holding]:
            message = (
                f"sells {plain(f.row.quantity)} {f.security.symbol} but {f.account.name} holds "
                f"only {plain(position[holding])} then: refusing to oversell"
            )
            errors.append(RowError(f.row.line, HEADERS["quantity"], message))
        position[holding] -= f.row.quantity
    return errors


def _cash(
    fills: list[MatchedFill], accounts: Mapping[int, Account]
) -> dict[int, tuple[Account, Decimal, Decimal]]:
    moved: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for f in fills:
        moved[f.account.pk] += f.amount if f.row.side == "sell" else -f.amount
    return {
        pk: (accounts[pk], accounts[pk].cash_balance, accounts[pk].cash_balance + change)
        for pk, change in sorted(moved.items())
    }
