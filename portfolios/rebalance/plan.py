"""How much each bucket should buy or sell, before any account, lot or share is chosen.

Part of :mod:`portfolios.rebalance.engine`. The plan is in money over the whole scope: a signed
amount per bucket (sell < 0 < buy), never both signs for one bucket. Placement
(:mod:`portfolios.rebalance.trades`) then turns it into trades and enforces every hard limit
again (cash, reserve, allowance), so the plan only has to be right in aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from advisory.money import ZERO
from portfolios.rebalance.buckets import HUNDRED, Bucket, Context
from portfolios.rebalance.types import Note


@dataclass
class Plan:
    amounts: dict[int, Decimal] = field(default_factory=dict)  # bucket → value (sell < 0 < buy)
    internal_sell: Decimal = ZERO  # sold inside the cash bucket (funds, outside the model)
    k_floor: Decimal | None = None  # buys never take the cash bucket below this value
    k_aim: Decimal | None = None  # where the plan means the cash bucket to end
    # The cash bucket must end inside [k_low, k_high] (None: unchecked), except that it may
    # pass k_high by what the reserve lacked at the start (the reserve ranks above the bands).
    k_low: Decimal | None = None
    k_high: Decimal | None = None
    reserve_gap: Decimal = ZERO
    rounding: dict[int, str] = field(default_factory=dict)  # "floor" or "ceil" per bucket
    allowance: dict[int, Decimal | None] = field(default_factory=dict)  # most a bucket may move
    trading: bool = True
    notes: list[Note] = field(default_factory=list)
    capped: dict[int, str] = field(default_factory=dict)  # bucket → side a restriction cut
    cut: dict[int, tuple[int, str]] = field(default_factory=dict)  # buys cut for cash: why


def water_fill(items: list[tuple[int, Decimal, Decimal]], amount: Decimal) -> dict[int, Decimal]:
    """Share ``amount`` among items (key, level, cap): each gets clamp(level − λ, 0, cap) for
    one λ, so the highest levels are served first and end level with each other. All caps when
    ``amount`` covers them; nothing for amount ≤ 0."""
    items = [(k, lv, cap) for k, lv, cap in items if cap > 0]
    if amount <= 0 or not items:
        return {k: ZERO for k, _, _ in items}
    if amount >= sum(cap for _, _, cap in items):
        return {k: cap for k, _, cap in items}

    def fill(lam: Decimal) -> Decimal:
        return sum((min(max(lv - lam, ZERO), cap) for _, lv, cap in items), ZERO)

    points = sorted({lv for _, lv, _ in items} | {lv - cap for _, lv, cap in items}, reverse=True)
    high, f_high = points[0], ZERO
    lam = points[-1]
    for point in points[1:]:
        f_point = fill(point)
        if f_point >= amount:
            lam = high - (amount - f_high) * (high - point) / (f_point - f_high)
            break
        high, f_high = point, f_point
    return {k: min(max(lv - lam, ZERO), cap) for k, lv, cap in items}


def make_plan(
    ctx: Context, sellable: dict[int, Decimal], buyable: dict[int, bool], outside: Decimal
) -> Plan:
    """Signed amounts per bucket for the mode, then reconciled with the cash they need.

    ``sellable`` is per bucket; for the cash bucket it is what may be sold inside it (cash-class
    funds, and when the model has no cash target the holdings outside the model, ``outside``
    of it), which turns into cash without moving the bucket's weight.
    """
    opts, k = ctx.options, ctx.buckets[ctx.cash_index]
    others = [b for b in ctx.buckets if not b.is_cash]
    mode = opts.mode
    plan = Plan()
    for b in others:
        plan.rounding[b.index] = _rounding(mode, b)
        plan.allowance[b.index] = (
            None if mode == "raise_cash" else 2 * abs(b.target_value - b.value)
        )
    valid_low, valid_high = _valid_range(k)
    if mode != "raise_cash":  # raise_cash leaves the cash bucket's range unchecked
        plan.k_low, plan.k_high = valid_low, valid_high
        cash = sum((a.cash for a in ctx.tradeable), ZERO)
        plan.reserve_gap = max(ctx.reserve_total - cash, ZERO)
    if not ctx.tradeable:
        plan.trading = False
        plan.notes.append(
            Note(
                "No account in scope can be traded (held-away only): no trade.",
                rule=3,
                effect="no_trade",
            )
        )
        return plan
    if ctx.total <= 0:
        plan.trading = False
        plan.notes.append(Note("The scope has no value: no trade.", effect="no_trade"))
        return plan

    breached = [b for b in ctx.buckets if b.state(b.value)]
    if mode == "to_target":
        if not breached:
            plan.trading = False
            plan.notes.append(
                Note("Every class is inside its band: no trade.", rule=7, effect="no_trade")
            )
            return plan
        plan.amounts = {b.index: b.target_value - b.value for b in others}
        plan.internal_sell = outside  # holdings outside the model go (target 0)
        plan.k_aim, plan.k_floor = k.target_value, plan.k_low  # rounding may pass the aim
    elif mode == "to_band":
        plan.amounts = {
            b.index: _clamp(b.value, b.low_value, b.high_value) - b.value for b in others
        }
        plan.k_aim = plan.k_floor = max(valid_low, k.low_value)  # below its band: refill
    elif mode == "buy_only":
        plan.k_aim = plan.k_floor = min(k.value, k.target_value)
    for i, amount in plan.amounts.items():  # restrictions first: what cannot trade, won't
        if amount < 0 and -amount > sellable.get(i, ZERO):
            plan.amounts[i] = -sellable.get(i, ZERO)
            plan.capped[i] = "sell"
        elif amount > 0 and not buyable.get(i):
            plan.amounts[i] = ZERO
            plan.capped[i] = "buy"
    _reconcile_cash(ctx, plan, sellable, buyable)
    return plan


def _rounding(mode: str, b: Bucket) -> str:
    if mode == "raise_cash" or (mode == "to_band" and b.state(b.value)):
        return "ceil"  # to get back inside the band, or to raise at least the amount
    return "floor"


def _valid_range(k: Bucket) -> tuple[Decimal, Decimal]:
    """Where the cash bucket may end: inside its band, or nearer its target than now."""
    state = k.state(k.value)
    mirror = 2 * k.target_value - k.value
    if state < 0:
        return k.value, mirror
    if state > 0:
        return max(mirror, ZERO), k.value
    return k.low_value, k.high_value


def _clamp(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max(value, low), high)


def _reconcile_cash(
    ctx: Context, plan: Plan, sellable: dict[int, Decimal], buyable: dict[int, bool]
) -> None:
    """Raise what the reserve and the cash bucket need; invest what is above them."""
    mode = ctx.options.mode
    flow = _CashFlow(
        ctx=ctx,
        plan=plan,
        k=ctx.buckets[ctx.cash_index],
        others={b.index: b for b in ctx.buckets if not b.is_cash},
        cash=sum((a.cash for a in ctx.tradeable), ZERO),
        withdrawal=ctx.options.raise_amount if mode == "raise_cash" else ZERO,
        # Cash-class funds (and, with no cash target, holdings outside the model) sell into cash
        # first when cash is short: the cash bucket's weight does not move. Buy-only never sells.
        internal=ZERO if mode == "buy_only" else sellable.get(ctx.cash_index, ZERO),
    )
    if mode == "raise_cash":
        _raise_withdrawal(flow, sellable)
    if mode in ("to_target", "to_band"):
        _raise_for_cash(flow, sellable)
    if mode in ("to_band", "buy_only"):
        _invest_surplus(flow, buyable)
    flow.fund()


@dataclass
class _CashFlow:
    """The cash side of a plan being reconciled; reads the plan's amounts as they change."""

    ctx: Context
    plan: Plan
    k: Bucket  # the cash bucket
    others: dict[int, Bucket]  # every other bucket, by index
    cash: Decimal  # the tradeable accounts' cash now
    withdrawal: Decimal  # raise_cash: the amount to fund, else zero
    internal: Decimal  # what may be sold inside the cash bucket

    def cash_after(self) -> Decimal:
        """The tradeable accounts' cash once the planned amounts have traded."""
        amounts = self.plan.amounts
        return self.cash - sum(amounts.values(), ZERO) + self.plan.internal_sell - self.withdrawal

    def k_after(self) -> Decimal:
        """The cash bucket's value once the planned amounts have traded."""
        return self.k.value - sum(self.plan.amounts.values(), ZERO) - self.withdrawal

    def spare(self) -> Decimal:
        """What may still be sold inside the cash bucket beyond what the plan sells there."""
        return self.internal - self.plan.internal_sell

    def fund(self) -> None:
        """Sell inside the cash bucket what the reserve still lacks (as far as it can)."""
        short = self.ctx.reserve_total - self.cash_after()
        self.plan.internal_sell += max(min(short, self.spare()), ZERO)


def _raise_withdrawal(flow: _CashFlow, sellable: dict[int, Decimal]) -> None:
    """raise_cash: sell what the withdrawal, the reserve and the cash target need."""
    ctx, k = flow.ctx, flow.k
    after = ctx.total - flow.withdrawal  # the cash class too ends at its target, if it has one
    k_target = k.weight * after / HUNDRED if k.target_id is not None else ZERO
    cash_short = ctx.reserve_total - flow.cash_after() - flow.internal
    _raise(ctx, flow.plan, sellable, max(cash_short, k_target - flow.k_after()))


def _raise_for_cash(flow: _CashFlow, sellable: dict[int, Decimal]) -> None:
    """to_target, to_band: find the cash the reserve and the cash bucket's aim still lack."""
    plan = flow.plan
    floor = plan.k_aim if plan.k_aim is not None else flow.k.value
    for_reserve = flow.ctx.reserve_total - flow.cash_after() - flow.spare()
    need = max(floor - flow.k_after(), for_reserve, ZERO)
    why = (
        (5, "the cash reserve") if for_reserve >= floor - flow.k_after() else (7, "the cash target")
    )
    # (a) sells already planned go on toward their target, (b) buys shrink (the most
    # underweight keep the most), (c) other classes above target sell toward it.
    need = _extend_sells(flow, sellable, need)
    need = _shrink_buys(flow, need, why)
    _sell_overweight(flow, sellable, need)


def _extend_sells(flow: _CashFlow, sellable: dict[int, Decimal], need: Decimal) -> Decimal:
    """Sells already planned go on toward their target; returns what is still needed."""
    amounts, others = flow.plan.amounts, flow.others
    extend = [
        (i, v - others[i].target_value + amounts[i], _room(others[i], amounts[i], sellable))
        for i, v in ((i, others[i].value) for i in sorted(amounts))
        if amounts[i] < 0
    ]
    return need - _apply(amounts, water_fill(extend, need), -1)


def _shrink_buys(flow: _CashFlow, need: Decimal, why: tuple[int, str]) -> Decimal:
    """Planned buys shrink, the most underweight keeping the most; returns what is still needed."""
    amounts, others = flow.plan.amounts, flow.others
    buys = {i: a for i, a in amounts.items() if a > 0}
    if need <= 0 or not buys:
        return need
    keep = max(sum(buys.values(), ZERO) - need, ZERO)
    shortfall = [(i, others[i].target_value - others[i].value, a) for i, a in buys.items()]
    kept = water_fill(sorted(shortfall), keep)
    need -= sum(buys.values(), ZERO) - sum(kept.values(), ZERO)
    amounts.update(kept)
    for i in kept:
        if kept[i] < buys[i]:
            flow.plan.cut[i] = (why[0], f"{why[1]} leaves too little cash to buy it fully")
    return need


def _sell_overweight(flow: _CashFlow, sellable: dict[int, Decimal], need: Decimal) -> None:
    """Classes above target with no trade planned sell toward it, for ``need`` at most."""
    amounts = flow.plan.amounts
    fresh = [
        (i, b.value - b.target_value, _room(b, ZERO, sellable))
        for i, b in sorted(flow.others.items())
        if amounts.get(i, ZERO) == 0 and b.value > b.target_value
    ]
    _apply(amounts, water_fill(fresh, need), -1)


def _invest_surplus(flow: _CashFlow, buyable: dict[int, bool]) -> None:
    """to_band, buy_only: invest the cash above the bucket's ceiling and the reserve."""
    plan, k, amounts = flow.plan, flow.k, flow.plan.amounts
    ceiling = k.high_value if flow.ctx.options.mode == "to_band" else plan.k_aim
    surplus = min(
        flow.k_after() - (ceiling or ZERO),
        flow.cash_after() + flow.spare() - flow.ctx.reserve_total,
    )
    if surplus <= 0:
        return
    # Buys already planned go on toward their target first, then classes below target.
    extend = [
        (i, b.target_value - b.value - amounts[i], b.target_value - b.value - amounts[i])
        for i, b in sorted(flow.others.items())
        if amounts.get(i, ZERO) > 0
    ]
    surplus -= _apply(amounts, water_fill(extend, surplus), 1)
    fresh = [
        (i, b.target_value - b.value, b.target_value - b.value)
        for i, b in sorted(flow.others.items())
        if amounts.get(i, ZERO) == 0 and buyable.get(i) and b.value < b.target_value
    ]
    _apply(amounts, water_fill(fresh, surplus), 1)


def _room(b: Bucket, amount: Decimal, sellable: dict[int, Decimal]) -> Decimal:
    """How much more ``b`` may sell without passing its target or selling what it cannot."""
    return max(min(b.value + amount - b.target_value, sellable.get(b.index, ZERO) + amount), ZERO)


def _apply(amounts: dict[int, Decimal], extra: dict[int, Decimal], sign: int) -> Decimal:
    for i, value in extra.items():
        if value > 0:
            amounts[i] = amounts.get(i, ZERO) + sign * value
    return sum(extra.values(), ZERO)


def _raise(ctx: Context, plan: Plan, sellable: dict[int, Decimal], need: Decimal) -> None:
    """raise_cash: sell ``need`` from the fewest buckets furthest above their target after the
    withdrawal (the most overweight first, adding the next only while the ones taken cannot
    cover it without going below target), shared among them by water-filling; below target
    only when all the overweight together cannot cover it. Shares below the minimum trade
    are dropped and the rest shared again."""
    opts = ctx.options
    after = ctx.total - opts.raise_amount
    levels = {
        b.index: b.value - b.weight * after / HUNDRED
        for b in ctx.buckets
        if sellable.get(b.index, ZERO) > 0 and not b.is_cash
    }
    if need <= 0:
        plan.notes.append(
            Note(
                "Cash (and cash-class funds) cover the withdrawal and the reserve: "
                "no class is sold.",
                subject=ctx.buckets[ctx.cash_index].label,
                effect="no_trade",
            )
        )
        return
    available = sum((sellable[i] for i in levels), ZERO)
    if available < need:
        plan.notes.append(
            Note(
                f"Only {available:,.2f} can be sold (restrictions, held-away accounts): "
                f"{need - available:,.2f} of the cash needed cannot be raised.",
                rule=2,
                subject=ctx.buckets[ctx.cash_index].label,
                effect="limited",
            )
        )
    ranked = sorted(levels, key=lambda i: (-levels[i], i))
    covered, chosen = ZERO, []
    for i in ranked:
        if covered >= need:
            break
        chosen.append(i)
        covered += max(min(levels[i], sellable[i]), ZERO)
    if covered < need:
        chosen = ranked
    while True:
        shares = water_fill([(i, levels[i], sellable[i]) for i in sorted(chosen)], need)
        taken = [i for i, v in shares.items() if v > 0]
        small = [i for i in taken if shares[i] < opts.min_trade_value]
        if not small or len(small) == len(taken):
            break
        chosen = [i for i in chosen if i not in small]
    for i, value in shares.items():
        if value > 0:
            plan.amounts[i] = -value
