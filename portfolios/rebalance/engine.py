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

import dataclasses
from decimal import Decimal, localcontext

from advisory.money import ZERO, to_cents
from portfolios.rebalance.buckets import HUNDRED, Context, build_context
from portfolios.rebalance.plan import make_plan
from portfolios.rebalance.report import (
    bucket_notes,
    gains,
    pct,
    plain,
    projection,
    state,
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
from portfolios.rebalance.types import Note, Proposal, ProposalInput

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
    drift left. Restrictions are found by building the proposal a second time without the
    do-not-buy / do-not-sell lists: every trade of that one a list forbids is named (with the
    restriction's scope and reason, and what was traded instead), so a restriction that only
    changes which holding is sold is named too. Rule 7 also chooses among sales: in
    ``raise_cash``, when the sales chosen would take a bucket that is inside its band (cash
    included) outside it and selling one other bucket alone would not, that one is sold.
    Notes are :class:`~portfolios.rebalance.types.Note` (rule, subject, effect, drift left and
    the sentence). Realised gains count taxable accounts only; lots with unknown basis are left
    out of them and flagged.

    Raises ValueError for malformed input (a security without a price, a target naming both a
    class and a security, an account scope with more than one account…).
    """
    with localcontext() as context:
        context.prec = 60
        ctx = build_context(data)
        book = _build(ctx)
        if _restricted(data):
            _name_restrictions(book, _build(build_context(_unrestricted(data))))
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
            notes=_unique(notes),
            total_value=to_cents(ctx.total),
        )


def _unique(notes: list[Note]) -> tuple[Note, ...]:
    """Each sentence once, where it first appears."""
    seen: set[str] = set()
    out = []
    for n in notes:
        if n.text not in seen:
            seen.add(n.text)
            out.append(n)
    return tuple(out)


def _build(ctx: Context) -> Book:
    """Plan, place and settle the trades (the proposal before it is reported)."""
    order = sell_order(ctx)
    sellable = sellable_values(ctx, order)
    outside = sum(
        (
            lot.quantity * ctx.price(lot.security_id)
            for _, lot in order[ctx.cash_index]
            if ctx.data.securities[lot.security_id].asset_class_id != ctx.data.cash_class_id
        ),
        ZERO,
    )
    book = Book(ctx, make_plan(ctx, sellable, _buyable(ctx), outside), order)
    _explain_caps(book)
    if book.plan.trading:
        _place(book)
        if ctx.options.mode == "raise_cash" and _breaks(book):
            book = _keep_bands(book, sellable)
    return book


def _place(book: Book) -> None:
    place_sells(book)
    place_buys(book)
    settle(book)


def _breaks(book: Book) -> list[int]:
    """Buckets (cash included) inside their band before the trades and outside it after, or
    breached ones that end past the other edge (raise_cash: after the withdrawal)."""
    ctx = book.ctx
    withdrawal = ctx.options.raise_amount if ctx.options.mode == "raise_cash" else ZERO
    after_total = ctx.total - withdrawal
    out = []
    for b in ctx.buckets:
        after = book.values[b.index] - (withdrawal if b.is_cash else ZERO)
        before, end = b.state(b.value), state(b, after, after_total)
        if (before == 0 and end != 0) or before * end < 0:
            out.append(b.index)
    return out


def _keep_bands(book: Book, sellable: dict[int, Decimal]) -> Book:
    """raise_cash, rule 7: the sales chosen take a bucket that is inside its band (cash
    included) outside it. Try other choices of sales raising the same amount, closest to the
    first one first, and take the first that keeps every bucket where it may be:

    1. one unit less of a sale (whole shares rounded up can overshoot the cash band), the
       rest sold from another bucket (the most overweight after the withdrawal first);
    2. the whole amount from one other bucket.

    If none does, the first choice stays (and its projection shows the breach)."""
    ctx, plan = book.ctx, book.plan
    total = -sum((a for a in plan.amounts.values() if a < 0), ZERO)
    if total <= 0:
        return book
    after = ctx.total - ctx.options.raise_amount
    level = {b.index: b.value - b.weight * after / HUNDRED for b in ctx.buckets}
    ranked = sorted(
        (b.index for b in ctx.buckets if not b.is_cash and sellable.get(b.index, ZERO) > 0),
        key=lambda i: (-level[i], i),
    )
    broken = [ctx.buckets[k].label for k in _breaks(book)]
    them = f"{_join(broken)} outside {'its band' if len(broken) == 1 else 'their bands'}"
    choices = [*_one_unit_less(book, ranked, sellable), *_elsewhere(book, ranked, sellable)]
    for amounts, why in choices:
        other = Book(ctx, dataclasses.replace(plan, amounts=amounts), book.order)
        other.blockers = {k: list(v) for k, v in book.blockers.items()}
        _place(other)
        if _breaks(other):
            continue
        for k, text in why.items():
            other.block(k, 7, text.format(them=them))
            other.effects[k] = "sale_moved"
        return other
    return book


def _one_unit_less(
    book: Book, ranked: list[int], sellable: dict[int, Decimal]
) -> list[tuple[dict[int, Decimal], dict[int, str]]]:
    """Choices that sell one rounding unit less of a planned sale and the rest elsewhere."""
    ctx, plan = book.ctx, book.plan
    out = []
    placed = _bucket_sales(book)
    for draft in book.live("sell"):  # latest first
        j = draft.bucket
        if j == ctx.cash_index or plan.amounts.get(j, ZERO) >= 0:
            continue
        less = placed[j] - draft.price * draft.unit
        rest = -plan.amounts[j] - less
        if rest <= 0:
            continue
        shown = f"{plain(draft.quantity)} {ctx.symbol(draft.security_id)}"
        for i in ranked:
            if i == j or sellable.get(i, ZERO) + plan.amounts.get(i, ZERO) < rest:
                continue
            amounts = dict(plan.amounts)
            amounts[j] = -less
            amounts[i] = amounts.get(i, ZERO) - rest
            label = ctx.buckets[i].label
            fewer = (
                "one less is sold" if less > 0 else f"{ctx.symbol(draft.security_id)} is not sold"
            )
            why = {
                j: f"selling {shown} (shares rounded up) would take {{them}}; {fewer} and "
                f"{label} covers the rest"
            }
            out.append(({k: v for k, v in amounts.items() if v != 0}, why))
    return out


def _elsewhere(
    book: Book, ranked: list[int], sellable: dict[int, Decimal]
) -> list[tuple[dict[int, Decimal], dict[int, str]]]:
    """Choices that sell the whole amount from one bucket not sold so far."""
    ctx, plan = book.ctx, book.plan
    sold = [k for k, a in plan.amounts.items() if a < 0]
    total = -sum((plan.amounts[k] for k in sold), ZERO)
    out = []
    for i in ranked:
        if i in sold or sellable.get(i, ZERO) < total:
            continue
        label = ctx.buckets[i].label
        why = {k: f"selling it would leave {{them}}; {label} is sold instead" for k in sold}
        out.append(({i: -total}, why))
    return out


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _restricted(data: ProposalInput) -> bool:
    opts = data.options
    return bool(
        opts.do_not_buy
        or opts.do_not_sell
        or any(a.do_not_buy or a.do_not_sell for a in data.accounts)
    )


def _unrestricted(data: ProposalInput) -> ProposalInput:
    """The same input without any do-not-buy or do-not-sell list."""
    none: frozenset[int] = frozenset()
    return dataclasses.replace(
        data,
        options=dataclasses.replace(data.options, do_not_buy=none, do_not_sell=none),
        accounts=tuple(
            dataclasses.replace(a, do_not_buy=none, do_not_sell=none) for a in data.accounts
        ),
        restrictions=(),
    )


def _name_restrictions(book: Book, free: Book) -> None:
    """Name every restriction that shaped the trades: each trade the proposal built without
    the lists makes (``free``) that a list forbids, with what was traded instead."""
    ctx = book.ctx
    real, unfree = _by_key(book), _by_key(free)
    sales, free_sales = _bucket_sales(book), _bucket_sales(free)
    for d in sorted(free.drafts, key=lambda d: d.seq):
        listed = ctx.on_list(d.security_id, d.side, ctx.account(d.account_id))
        if listed is None:
            continue
        symbol = ctx.symbol(d.security_id)
        # The same words as the caps' and choose_security's blocks, so they merge.
        base = f"{symbol} is on {listed}"
        if d.side == "buy":
            base = f"{symbol} not bought: it is on {listed}"
        more = [
            f"{ctx.symbol(sid)}{_where(ctx, aid)}"
            for (aid, sid, side), value in sorted(real.items())
            if side == d.side
            and ctx.sec_bucket[sid] == d.bucket
            and value > unfree.get((aid, sid, side), ZERO)
        ]
        instead = ""
        if more:
            verb = "sold" if d.side == "sell" else "bought"
            instead = f"; {verb} {_join(more)} instead"
        elif d.side == "sell" and ctx.options.mode == "raise_cash":
            moved = [
                ctx.buckets[i].label
                for i in sorted(sales)
                if i != d.bucket and sales[i] > free_sales.get(i, ZERO)
            ]
            if moved:
                instead = f"; the cash is raised from {_join(moved)} instead"
        text = base + instead
        blockers = book.blockers.setdefault(d.bucket, [])
        if instead:
            blockers[:] = [(r, t) for r, t in blockers if (r, t) != (2, base)]
            book.effects[d.bucket] = "sale_moved" if d.side == "sell" else "substituted"
        book.block(d.bucket, 2, text)


def _by_key(book: Book) -> dict[tuple[int, int, str], Decimal]:
    out: dict[tuple[int, int, str], Decimal] = {}
    for d in book.drafts:
        key = (d.account_id, d.security_id, d.side)
        out[key] = out.get(key, ZERO) + d.value
    return out


def _bucket_sales(book: Book) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for d in book.drafts:
        if d.side == "sell":
            out[d.bucket] = out.get(d.bucket, ZERO) + d.value
    return out


def _where(ctx: Context, account_id: int) -> str:
    return f" in {ctx.account(account_id).name}" if ctx.data.scope == "household" else ""


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
                elif (listed := ctx.on_list(sid, "sell", account)) is not None:
                    book.block(i, 2, f"{symbol} is on {listed}")
                elif sid in ctx.stale:
                    book.block(i, 2, f"{symbol}'s price is stale")


def _scope_notes(ctx: Context) -> list[Note]:
    notes = []
    total_weight = sum((t.weight for t in ctx.data.targets), ZERO)
    if total_weight != HUNDRED:
        notes.append(Note(f"The model's targets sum to {plain(total_weight)}%, not 100%."))
    for account in ctx.accounts:
        if account.held_away and ctx.total > 0:
            share = ctx.account_value[account.account_id] * HUNDRED / ctx.total
            text = (
                f"Held-away account {account.name} counts toward the weights "
                f"({pct(share)}% of the value) and is never traded (rule 3)."
            )
            notes.append(Note(text, rule=3, subject=account.name, effect="not_traded"))
    for sid in sorted(ctx.stale & (ctx.held_ids | _buy_ids(ctx))):
        info = ctx.data.securities[sid]
        text = (
            f"{info.symbol}'s price is from {info.price_date.isoformat()} (stale): "
            "valued at it, not traded (rule 2)."
        )
        notes.append(Note(text, rule=2, subject=info.symbol, effect="not_traded"))
    return notes


def _buy_ids(ctx: Context) -> set[int]:
    return {sid for b in ctx.buckets for sid in b.buy_ids}


def _reserve_notes(ctx: Context, book: Book) -> list[Note]:
    notes = []
    for account in ctx.tradeable:
        share, cash = ctx.reserve[account.account_id], book.cash[account.account_id]
        if cash < share:
            text = (
                f"{account.name} ends with {to_cents(cash):,.2f} cash, below its reserve share "
                f"of {share:,.2f}: this proposal could not refill it (rule 5)."
            )
            notes.append(Note(text, rule=5, subject=account.name, effect="flag"))
    return notes
