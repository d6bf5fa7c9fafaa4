"""The last step of a proposal: make every hard limit hold by adding or trimming shares.

Part of :mod:`portfolios.rebalance.engine`. After sells and buys are placed
(:mod:`portfolios.rebalance.trades`), rounding can leave the cash bucket just outside the range
it may end in, an account below its reserve share (only after a sale is trimmed) or a trade
below the minimum value. :func:`settle` first tries to add one rounding unit to a trade that
can take it, then trims; trimming only ever removes shares, so it always ends.
"""

from __future__ import annotations

from decimal import Decimal

from advisory.money import ZERO
from portfolios.rebalance.trades import Book, Draft, below_minimum, quantize


def settle(book: Book) -> None:
    """Bring the cash bucket inside its range by adding to a trade if one can take it, then trim
    until every hard limit holds; each trimming pass removes shares, so this ends."""
    ctx, plan = book.ctx, book.plan
    k = ctx.cash_index
    # The cash bucket's range: both edges or neither (raise_cash leaves it unchecked). It may
    # end above k_high by what the reserve lacked at the start (``high``).
    bounds: tuple[Decimal, Decimal, Decimal] | None = None
    if plan.k_low is not None and plan.k_high is not None:
        bounds = (plan.k_low, plan.k_high, plan.k_high + plan.reserve_gap)
        _nudge(book, bounds[0], bounds[2])
    while True:
        changed = False
        for account in ctx.tradeable:
            aid = account.account_id
            for draft in [d for d in book.live("buy") if d.account_id == aid]:
                short = book.floor(aid) - book.cash[aid]
                if short <= 0:
                    break
                _trim(book, draft, short, (5, "the cash reserve trims the buy"))
                changed = True
        value = book.values[k]
        if bounds is not None:
            low, k_high, high = bounds
            if value > high:
                changed |= _trim_first_fit(book, "sell", value - high, value - low)
            elif value < low:
                changed |= _trim_first_fit(book, "buy", low - value, k_high - value)
        for draft in book.live("sell") + book.live("buy"):
            if draft.value < ctx.options.min_trade_value:
                book.block(
                    draft.bucket, 6, below_minimum(ctx, draft.side, draft.security_id, draft.value)
                )
                book.set_quantity(draft, ZERO)
                changed = True
        if not changed:
            break
    book.drafts = [d for d in book.drafts if d.quantity > 0]


def _nudge(book: Book, low: Decimal, high: Decimal) -> None:
    """Rounding left the cash bucket just outside its range: add whole units to the latest
    buy (cash too high) or sell (cash too low) that can take them, within its target, the
    account's cash and reserve, and the holding."""
    ctx, plan = book.ctx, book.plan
    value = book.values[ctx.cash_index]
    if value > high:
        side, at_least, at_most = "buy", value - high, value - low
    elif value < low:
        side, at_least, at_most = "sell", low - value, high - value
    else:
        return
    for draft in book.live(side):
        if draft.bucket == ctx.cash_index:
            continue
        extra = quantize(at_least / draft.price, draft.unit, "ceil")
        added = extra * draft.price
        allowance = plan.allowance.get(draft.bucket)
        if added > at_most or (
            allowance is not None and book.moved[draft.bucket] + added > allowance
        ):
            continue
        if side == "buy" and book.cash[draft.account_id] - added < ctx.reserve[draft.account_id]:
            continue
        if side == "sell" and draft.quantity + extra > draft.held:
            continue
        book.set_quantity(draft, draft.quantity + extra)
        return


def _trimmed(draft: Draft, at_least: Decimal) -> Decimal:
    """The quantity left after taking off at least ``at_least`` of value, on the unit grid."""
    return max(quantize(draft.quantity - at_least / draft.price, draft.unit, "floor"), ZERO)


def _trim(book: Book, draft: Draft, at_least: Decimal, why: tuple[int, str]) -> None:
    book.set_quantity(draft, _trimmed(draft, at_least))
    book.block(draft.bucket, *why)


def _trim_first_fit(book: Book, side: str, at_least: Decimal, at_most: Decimal) -> bool:
    """Cash bucket outside its range: trim the latest ``side`` trade that can bring it back
    inside without breaking an account's reserve; failing that, the latest one anyway."""
    k = book.ctx.cash_index
    drafts = [d for d in book.live(side) if d.bucket != k]  # sales inside it do not move it
    if not drafts:
        return False
    label = book.ctx.buckets[k].label
    why = (7, f"{label} must stay inside its band or move toward its target: the {side} is trimmed")
    for draft in drafts:
        removed = (draft.quantity - _trimmed(draft, at_least)) * draft.price
        fits = at_least <= removed <= at_most
        if side == "sell":
            fits = fits and book.cash[draft.account_id] - removed >= book.floor(draft.account_id)
        if fits:
            _trim(book, draft, at_least, why)
            return True
    _trim(book, drafts[0], at_least, why)
    return True
