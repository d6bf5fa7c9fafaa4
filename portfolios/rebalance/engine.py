"""Rebalance proposals: pure functions from plain data to a list of trades.

:func:`propose` is the whole API. It takes a :class:`~portfolios.rebalance.types.ProposalInput`
(no ORM: the caller builds it) and returns a :class:`~portfolios.rebalance.types.Proposal`.
docs/rebalancing.md explains the modes, the order of operations, lot selection, asset location
and the precedence of constraints in prose; this docstring and the modules say how.

Modules: :mod:`portfolios.rebalance.buckets` (buckets, values, bands, reserves, restrictions),
:mod:`portfolios.rebalance.plan` (money per bucket), :mod:`portfolios.rebalance.trades`
(accounts, securities, lots, shares), :mod:`portfolios.rebalance.settle` (the last adding and
trimming of shares) and :mod:`portfolios.rebalance.report`
(reasons, projection, gains, notes).
"""

from __future__ import annotations

from decimal import localcontext

from advisory.money import ZERO, to_cents
from portfolios.rebalance.buckets import HUNDRED, Context, build_context
from portfolios.rebalance.plan import make_plan
from portfolios.rebalance.report import (
    bucket_notes,
    gains,
    pct,
    plain,
    projection,
    trades,
    wash_flags,
)
from portfolios.rebalance.settle import settle
from portfolios.rebalance.trades import (
    Book,
    choose_security,
    place_buys,
    place_sells,
    sell_order,
    sellable_values,
)
from portfolios.rebalance.types import Proposal, ProposalInput

__all__ = ["propose"]


def propose(data: ProposalInput) -> Proposal:
    """Build a rebalance proposal for one account or a whole household.

    Pure and deterministic: no database, no clock (``options.as_of`` is "today"), every set
    and mapping is walked in id order, so the same input always gives an equal Proposal.
    Money, prices and quantities stay exact Decimals (a 60-digit context) and are rounded
    only in the output: trade values, lot bases and gains, cash and totals to the cent
    (half away from zero), weights to 4 dp, numbers in sentences to 0.1 point.

    Buckets. Each target of the model is a bucket: a security target holds its security and
    its equivalents, a class target the rest of its class; anything else is "Outside the
    model" (target 0, band ±5). The cash balance counts in the target of ``cash_class_id``,
    else in "Outside the model". Value = Σ quantity × price + cash over every account in
    scope, held-away included. Band edges are ``bands.band_limits`` (the tighter of the
    absolute band and the relative band × target); a bucket is breached when its exact weight
    is strictly outside them.

    Modes (``options.mode``):

    - ``to_target``: if any bucket is breached, every bucket trades to its target (in-band
      ones too: the mode asks for targets); if none is, no trade.
    - ``to_band``: breached buckets trade to their nearest band edge, rounding shares so they
      end inside it; nothing else trades unless the cash bucket is outside its band or the
      reserve is short (then toward target only).
    - ``buy_only``: never sells; invests the cash above the cash target and the reserve in the
      buckets furthest below target, never past their target.
    - ``raise_cash``: sells only, enough that after paying ``options.raise_amount`` cash is at
      least the reserve and the cash target; cash and cash-class funds count first, then the
      fewest buckets furthest above target after the withdrawal, cheapest lots first.

    Order of operations: bucket amounts in money (:mod:`~portfolios.rebalance.plan`), sells
    (lots in tax order, accounts tax-deferred first in a household), buys (preferred security,
    else the first allowed equivalent; fixed income placed in tax-deferred accounts first,
    other classes in tax-exempt then taxable ones), then adding or trimming shares until every
    hard limit holds (:func:`~portfolios.rebalance.settle.settle`). A bucket is never both
    bought and sold.

    Constraints, strongest first (docs/rebalancing.md): 1 never oversell, never negative cash;
    2 restrictions (do-not-buy / do-not-sell, and stale prices); 3 held-away accounts are never
    traded; 4 wash-sale guard; 5 cash reserve; 6 minimum trade and whole shares; 7 bands and
    targets. Every time one of them stops a trade, ``notes`` names the rule that won and the
    drift left. Realised gains count taxable accounts only; lots with unknown basis are left
    out of them and flagged.

    Raises ValueError for malformed input (a security without a price, a target naming both a
    class and a security, an account scope with more than one account…).
    """
    with localcontext() as context:
        context.prec = 60
        ctx = build_context(data)
        order = sell_order(ctx)
        sellable = sellable_values(ctx, order)
        outside = sum(
            (
                lot.quantity * ctx.price(lot.security_id)
                for _, lot in order[ctx.cash_index]
                if ctx.data.securities[lot.security_id].asset_class_id != data.cash_class_id
            ),
            ZERO,
        )
        book = Book(ctx, make_plan(ctx, sellable, _buyable(ctx), outside), order)
        _explain_caps(book)
        if book.plan.trading:
            place_sells(book)
            place_buys(book)
            settle(book)
        made = trades(ctx, book)
        short, long, gain_notes = gains(ctx, made)
        notes = [
            *_scope_notes(ctx),
            *book.plan.notes,
            *bucket_notes(ctx, book),
            *book.notes,
            *wash_flags(ctx, made),
            *gain_notes,
            *_reserve_notes(ctx, book),
        ]
        return Proposal(
            trades=made,
            projection=projection(ctx, book),
            realized_short_term=to_cents(short),
            realized_long_term=to_cents(long),
            cash_after={aid: to_cents(cash) for aid, cash in sorted(book.cash.items())},
            notes=tuple(dict.fromkeys(notes)),
            total_value=to_cents(ctx.total),
        )


def _buyable(ctx: Context) -> dict[int, bool]:
    return {
        b.index: any(
            ctx.buy_block(account, sid) is None for account in ctx.tradeable for sid in b.buy_ids
        )
        for b in ctx.buckets
    }


def _explain_caps(book: Book) -> None:
    """Say why a bucket trades less than its mode wants (restrictions, held-away, reserve)."""
    ctx = book.ctx
    for i, (rule, text) in sorted(book.plan.cut.items()):
        book.block(i, rule, text)
    for i, side in sorted(book.plan.capped.items()):
        if side == "buy":
            for account in ctx.tradeable:
                choose_security(book, i, account)
            continue
        for account in ctx.accounts:
            for sid in sorted({lot.security_id for lot in account.lots}):
                if ctx.sec_bucket[sid] != i:
                    continue
                symbol = ctx.symbol(sid)
                if account.held_away:
                    book.block(i, 3, f"holdings in held-away {account.name} are never traded")
                elif sid in ctx.options.do_not_sell:
                    book.block(i, 2, f"{symbol} is on the do-not-sell list")
                elif sid in account.do_not_sell:
                    book.block(i, 2, f"{symbol} is on {account.name}'s do-not-sell list")
                elif sid in ctx.stale:
                    book.block(i, 2, f"{symbol}'s price is stale")


def _scope_notes(ctx: Context) -> list[str]:
    notes = []
    total_weight = sum((t.weight for t in ctx.data.targets), ZERO)
    if total_weight != HUNDRED:
        notes.append(f"The model's targets sum to {plain(total_weight)}%, not 100%.")
    for account in ctx.accounts:
        if account.held_away and ctx.total > 0:
            share = ctx.account_value[account.account_id] * HUNDRED / ctx.total
            notes.append(
                f"Held-away account {account.name} counts toward the weights "
                f"({pct(share)}% of the value) and is never traded (rule 3)."
            )
    for sid in sorted(ctx.stale & (ctx.held_ids | _buy_ids(ctx))):
        info = ctx.data.securities[sid]
        notes.append(
            f"{info.symbol}'s price is from {info.price_date.isoformat()} (stale): "
            "valued at it, not traded (rule 2)."
        )
    return notes


def _buy_ids(ctx: Context) -> set[int]:
    return {sid for b in ctx.buckets for sid in b.buy_ids}


def _reserve_notes(ctx: Context, book: Book) -> list[str]:
    notes = []
    for account in ctx.tradeable:
        share, cash = ctx.reserve[account.account_id], book.cash[account.account_id]
        if cash < share:
            notes.append(
                f"{account.name} ends with {to_cents(cash):,.2f} cash, below its reserve share "
                f"of {share:,.2f}: this proposal could not refill it (rule 5)."
            )
    return notes
