"""From a plan to trades: which account, which security, which lots, how many shares.

Part of :mod:`portfolios.rebalance.engine`. Sells are placed first (their cash funds the buys), then
buys; :func:`portfolios.rebalance.settle.settle` then adds or trims shares until every hard
limit holds. :class:`Book` is the proposal while it is being built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from advisory.money import ZERO
from portfolios.rebalance.buckets import LOCATION_RANK, SELL_RANK, Context, is_long_term, lot_value
from portfolios.rebalance.plan import Plan
from portfolios.rebalance.types import AccountInput, Lot, Note, Side

WHOLE, FRACTION = Decimal(1), Decimal("0.0001")
# Sell order of one lot inside its account (see lot_key); compared only among one account's lots.
LotKey = tuple[int | Decimal | dt.date, ...]


@dataclass
class Draft:
    seq: int
    account_id: int
    security_id: int
    bucket: int
    side: Side
    quantity: Decimal
    price: Decimal
    unit: Decimal
    lots: tuple[Lot, ...] = ()  # sells: every lot of the holding, in the order they go
    held: Decimal = ZERO  # sells: the most that can go
    instead_of: int | None = None  # buys: the preferred security this one stands in for

    @property
    def value(self) -> Decimal:
        return self.quantity * self.price


@dataclass
class Book:
    """The proposal while it is being built: cash per account, value per bucket, drafts."""

    ctx: Context
    plan: Plan
    order: dict[int, list[tuple[AccountInput, Lot]]]  # sellable lots per bucket, in order
    cash: dict[int, Decimal] = field(init=False)
    values: list[Decimal] = field(init=False)
    moved: dict[int, Decimal] = field(init=False)
    drafts: list[Draft] = field(default_factory=list)
    blockers: dict[int, list[tuple[int, str]]] = field(default_factory=dict)  # (rule, text)
    effects: dict[int, str] = field(default_factory=dict)  # bucket → note effect, when special
    notes: list[Note] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.cash = {a.account_id: a.cash for a in self.ctx.accounts}
        self.values = [b.value for b in self.ctx.buckets]
        self.moved = {b.index: ZERO for b in self.ctx.buckets}

    def block(self, bucket: int, rule: int, text: str) -> None:
        """Record why ``bucket`` trades less than planned; ``rule`` is its precedence rank."""
        if (rule, text) not in self.blockers.setdefault(bucket, []):
            self.blockers[bucket].append((rule, text))

    def note(
        self, text: str, *, rule: int | None = None, subject: str = "", effect: str = "info"
    ) -> None:
        if all(n.text != text for n in self.notes):
            self.notes.append(Note(text, rule=rule, subject=subject, effect=effect))

    def add(self, draft: Draft) -> None:
        self.drafts.append(draft)
        self._effect(draft, draft.value)

    def set_quantity(self, draft: Draft, quantity: Decimal) -> None:
        before = draft.value
        draft.quantity = quantity
        self._effect(draft, draft.value - before)

    def _effect(self, draft: Draft, value: Decimal) -> None:
        sign = 1 if draft.side == "sell" else -1
        self.cash[draft.account_id] += sign * value
        self.values[draft.bucket] -= sign * value
        self.values[self.ctx.cash_index] += sign * value
        self.moved[draft.bucket] += value

    def floor(self, account_id: int) -> Decimal:
        """The least cash an account may end with: its reserve share, or what it had if less."""
        before = self.ctx.account(account_id).cash
        return min(self.ctx.reserve[account_id], before)

    def live(self, side: str) -> list[Draft]:
        return [d for d in reversed(self.drafts) if d.side == side and d.quantity > 0]


def quantize(quantity: Decimal, unit: Decimal, mode: str) -> Decimal:
    return quantity.quantize(unit, rounding=ROUND_CEILING if mode == "ceil" else ROUND_FLOOR)


def unit_of(ctx: Context, account_id: int) -> Decimal:
    return FRACTION if ctx.account(account_id).fractional else WHOLE


def lot_key(ctx: Context, account: AccountInput, lot: Lot, position: dict[int, Decimal]) -> LotKey:
    """Sell order inside one account. Taxable: losses (the largest per dollar first), then
    long-term gains (highest cost first), then short-term gains, unknown cost basis last.
    Elsewhere tax does not care: the largest position first (fewest trades), oldest lot first."""
    price = ctx.price(lot.security_id)
    if account.tax_status != "taxable":
        return (0, -position[lot.security_id], lot.security_id, lot.acquired_on, lot.lot_id)
    if lot.cost_basis is None or lot.quantity <= 0:
        return (3, 0, lot.acquired_on, lot.lot_id)
    ratio = 1 - lot.cost_basis / (lot.quantity * price)  # gain per dollar sold
    category = 0 if ratio <= 0 else 1 if is_long_term(lot, ctx.options.as_of) else 2
    return (category, ratio, lot.acquired_on, lot.lot_id)


def sell_order(ctx: Context) -> dict[int, list[tuple[AccountInput, Lot]]]:
    """Per bucket: every lot that may be sold, in the order to sell them. Household scope sells
    in tax-deferred accounts first, then tax-exempt, then taxable ones (small taxable sales).
    Cash-class funds come after everything else (in the cash bucket: after holdings outside
    the model)."""
    rows: dict[int, list[tuple[tuple[bool, int, int, LotKey], AccountInput, Lot]]] = {
        b.index: [] for b in ctx.buckets
    }
    cash_class = ctx.data.cash_class_id
    securities = ctx.data.securities
    for account in ctx.tradeable:
        position: dict[int, Decimal] = {}
        for lot in account.lots:
            value = lot.quantity * securities[lot.security_id].price
            position[lot.security_id] = position.get(lot.security_id, ZERO) + value
        rank = SELL_RANK[account.tax_status] if ctx.data.scope == "household" else 0
        for lot in account.lots:
            bucket = ctx.sec_bucket[lot.security_id]
            if lot.quantity <= 0 or not ctx.can_sell(account, lot.security_id):
                continue
            fund = securities[lot.security_id].asset_class_id == cash_class
            key = (fund, rank, account.account_id, lot_key(ctx, account, lot, position))
            rows[bucket].append((key, account, lot))
    return {
        i: [(account, lot) for _, account, lot in sorted(r, key=lambda r: r[0])]
        for i, r in rows.items()
    }


def sellable_values(
    ctx: Context, order: dict[int, list[tuple[AccountInput, Lot]]]
) -> dict[int, Decimal]:
    return {
        i: sum((lot_value(lot, ctx.price(lot.security_id)) for _, lot in lots), ZERO)
        for i, lots in order.items()
    }


def place_sells(book: Book) -> None:
    ctx, plan = book.ctx, book.plan
    for b in ctx.buckets:
        amount = plan.internal_sell if b.is_cash else -plan.amounts.get(b.index, ZERO)
        if amount <= 0:
            continue
        mode = plan.rounding.get(b.index, "ceil")  # the cash bucket: enough cash, never less
        groups: dict[tuple[int, int], list[Lot]] = {}
        alloc: dict[tuple[int, int], Decimal] = {}
        left = amount
        for account, lot in book.order[b.index]:
            key = (account.account_id, lot.security_id)
            groups.setdefault(key, []).append(lot)
            take = min(lot_value(lot, ctx.price(lot.security_id)), left)
            if take > 0:
                alloc[key] = alloc.get(key, ZERO) + take
                left -= take
        for key, value in alloc.items():
            _sell_group(book, b.index, key, groups[key], value, mode)
    if ctx.options.mode == "raise_cash":
        _top_up(book)


def _sell_group(
    book: Book, bucket: int, key: tuple[int, int], lots: list[Lot], value: Decimal, mode: str
) -> None:
    ctx = book.ctx
    account_id, sid = key
    price, unit = ctx.price(sid), unit_of(ctx, account_id)
    held = sum((lot.quantity for lot in lots), ZERO)
    quantity = min(quantize(value / price, unit, mode), held)
    allowance = book.plan.allowance.get(bucket)
    if allowance is not None:
        quantity = min(quantity, quantize((allowance - book.moved[bucket]) / price, unit, "floor"))
    if quantity <= 0:
        return  # less than one unit to sell (or nothing left of the target's allowance)
    if quantity * price < ctx.options.min_trade_value:
        book.block(bucket, 6, below_minimum(ctx, "sell", sid, quantity * price))
        return
    draft = Draft(len(book.drafts), account_id, sid, bucket, "sell", quantity, price, unit)
    draft.lots, draft.held = tuple(lots), held
    book.add(draft)


def _top_up(book: Book) -> None:
    """raise_cash: if rounding or the minimum trade left the raise short, sell more of what
    is already being sold (no new trade) until it is covered."""
    ctx = book.ctx
    need = (
        ctx.options.raise_amount
        + ctx.reserve_total
        - sum(book.cash[a.account_id] for a in ctx.tradeable)
    )
    for draft in sorted(book.live("sell"), key=lambda d: d.seq):
        if need <= 0:
            return
        extra = min(quantize(need / draft.price, draft.unit, "ceil"), draft.held - draft.quantity)
        if extra > 0:
            book.set_quantity(draft, draft.quantity + extra)
            need -= extra * draft.price
    if need > 0:
        book.note(
            f"The sales raise {need:,.2f} less than the withdrawal and the reserve need.",
            rule=1,
            subject=ctx.buckets[ctx.cash_index].label,
            effect="limited",
        )


def below_minimum(ctx: Context, side: str, sid: int, value: Decimal) -> str:
    return (
        f"minimum trade: {side} {ctx.symbol(sid)} of {value:,.2f} is below "
        f"{ctx.options.min_trade_value:,.2f} and was dropped"
    )


def place_buys(book: Book) -> None:
    """Buckets to fill, fixed income first in a household (it claims tax-deferred cash), then
    the most underweight; each placed in accounts by asset location, as far as cash allows."""
    ctx, plan = book.ctx, book.plan
    household = ctx.data.scope == "household"
    wanted = [b for b in ctx.buckets if plan.amounts.get(b.index, ZERO) > 0]
    wanted.sort(key=lambda b: (household and not b.income, b.value - b.target_value, b.index))
    for b in wanted:
        left = plan.amounts[b.index]
        limited: list[tuple[int, str]] = []
        steps = [ZERO]
        accounts = sorted(
            ctx.tradeable, key=lambda a: (LOCATION_RANK[b.income][a.tax_status], a.account_id)
        )
        for account in accounts:
            if left <= 0:
                break
            spent, binding, step = _buy_in(book, b.index, account, left)
            left -= spent
            steps.append(step or ZERO)
            if binding:
                limited.append(binding)
        if limited and left >= max(steps):  # a whole unit went unbought
            book.block(b.index, *limited[-1])


def choose_security(book: Book, bucket: int, account: AccountInput) -> int | None:
    """The first security of the bucket's buy list this account may buy (None: none may)."""
    ctx = book.ctx
    b = ctx.buckets[bucket]
    sid: int | None = None
    refused: list[tuple[int, tuple[int, str]]] = []
    for candidate in b.buy_ids:
        why = ctx.buy_block(account, candidate)
        if why is None:
            sid = candidate
            break
        refused.append((candidate, why))
    for candidate, (rule, _) in refused:
        if rule == 4:
            sale = ctx.wash_blocked[candidate]
            instead = f"bought {ctx.symbol(sid)} instead" if sid else "nothing bought instead"
            book.note(
                f"Wash sale avoided: {ctx.symbol(candidate)} was sold at a loss on "
                f"{sale.trade_date.isoformat()} in account {sale.account_id}; {instead}.",
                rule=4,
                subject=ctx.symbol(candidate),
                effect="substituted" if sid else "limited",
            )
    if sid is None:
        if not b.buy_ids:
            book.block(bucket, 7, "the model names no security to buy for it")
        for candidate, (rule, reason) in refused:
            book.block(bucket, rule, f"{ctx.symbol(candidate)} not bought: {reason}")
    return sid


def _buy_in(
    book: Book, bucket: int, account: AccountInput, left: Decimal
) -> tuple[Decimal, tuple[int, str] | None, Decimal | None]:
    """Buy up to ``left`` of the bucket in one account; returns (value spent, the limit that
    bound, the value of one unit)."""
    ctx, plan = book.ctx, book.plan
    sid = choose_security(book, bucket, account)
    if sid is None:
        return ZERO, None, None
    price, unit = ctx.price(sid), unit_of(ctx, account.account_id)
    reserve = ctx.reserve[account.account_id]
    k_floor = plan.k_floor if plan.k_floor is not None else book.values[ctx.cash_index]
    limits = {
        (5, "the cash reserve limits the buy") if reserve > 0 else (1, "the cash limits the buy"): (
            book.cash[account.account_id] - reserve
        ),
        (7, "the cash target limits the buy"): book.values[ctx.cash_index] - k_floor,
    }
    allowance = plan.allowance.get(bucket)
    if allowance is not None:
        limits[(7, "")] = allowance - book.moved[bucket]
    binding = min(limits, key=lambda k: limits[k])
    want = quantize(left / price, unit, plan.rounding.get(bucket, "floor"))
    quantity = min(want, quantize(max(limits[binding], ZERO) / price, unit, "floor"))
    bound = binding if quantity < want and binding[1] else None
    if quantity <= 0:
        return ZERO, bound, price * unit
    if quantity * price < ctx.options.min_trade_value:
        book.block(bucket, 6, below_minimum(ctx, "buy", sid, quantity * price))
        return ZERO, None, None
    first = ctx.buckets[bucket].buy_ids[0]
    draft = Draft(len(book.drafts), account.account_id, sid, bucket, "buy", quantity, price, unit)
    draft.instead_of = first if sid != first else None
    book.add(draft)
    return quantity * price, bound, price * unit
