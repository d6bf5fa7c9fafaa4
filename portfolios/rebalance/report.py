"""What a proposal says: trades with their reasons and lots, projection, gains and notes.

Part of :mod:`portfolios.rebalance.engine`. Display rounding lives here and only here: weights in
sentences to 0.1 point, bands as ±x.xx, money to the cent, all half away from zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from advisory.money import ZERO, to_cents
from portfolios.rebalance.buckets import HUNDRED, Bucket, Context, is_long_term
from portfolios.rebalance.trades import Book, Draft
from portfolios.rebalance.types import ClassProjection, LotSale, Note, Term, Trade

RULES = {
    1: "never oversell, never negative cash",
    2: "restrictions",
    3: "held-away accounts",
    4: "the wash-sale guard",
    5: "the cash reserve",
    6: "minimum trade and whole shares",
    7: "bands and targets",
}
BASIS_POINT = Decimal("0.0001")


def pct(value: Decimal, places: str = "0.1") -> str:
    """Half away from zero to ``places``; never "-0.0"."""
    shown = value.quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return str(abs(shown) if shown == 0 else shown)


def signed(value: Decimal) -> str:
    """Signed points to 0.1: "+10.0", "-5.9", "0.0"."""
    shown = pct(value)
    return shown if shown.startswith("-") or shown == "0.0" else f"+{shown}"


def plain(value: Decimal) -> str:
    """15.0000 → "15", 12.50 → "12.5" (no exponent)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "") else text


def weight(ctx: Context, value: Decimal, total: Decimal | None = None) -> Decimal:
    total = ctx.total if total is None else total
    return value * HUNDRED / total if total > 0 else ZERO


def state(b: Bucket, value: Decimal, total: Decimal) -> int:
    """Like :meth:`Bucket.state` against another total (raise_cash: after the withdrawal)."""
    if value * HUNDRED > b.high * total:
        return 1
    return -1 if value * HUNDRED < b.low * total else 0


def reason(ctx: Context, d: Draft) -> str:
    b = ctx.buckets[d.bucket]
    account = ctx.account(d.account_id)
    where = f" in {account.name}" if ctx.data.scope == "household" else ""
    instead = ""
    if d.instead_of is not None:
        _, why = ctx.buy_block(account, d.instead_of) or (0, "it cannot be bought")
        instead = f" instead of {ctx.symbol(d.instead_of)}, because {why}"
    mode = ctx.options.mode
    fund = ctx.data.securities[d.security_id].asset_class_id == ctx.data.cash_class_id
    if b.is_cash and mode != "raise_cash":
        aim = " to free cash for the buys" if fund else " (it is outside the model)"
    elif mode == "raise_cash":
        aim = " to raise cash for the withdrawal"
    elif mode == "buy_only":
        aim = " with the cash to invest"
    elif mode == "to_band" and b.state(b.value):
        aim = " to bring it back inside the band"
    elif mode == "to_band":
        aim = " toward target, to bring the cash back inside its band or reserve"
    else:
        aim = ""
    return (
        f"{b.label} {pct(weight(ctx, b.value))}% vs target {plain(b.weight)}% "
        f"(band ±{pct(b.width, '0.01')}): {d.side} {plain(d.quantity)} "
        f"{ctx.symbol(d.security_id)}{where}{instead}{aim}"
    )


def lot_sales(ctx: Context, d: Draft) -> tuple[LotSale, ...]:
    """The lots a sell consumes, in its sell order; gains exact, then rounded to the cent."""
    sales: list[LotSale] = []
    left = d.quantity
    for lot in d.lots:
        if left <= 0:
            break
        q = min(lot.quantity, left)
        left -= q
        if lot.cost_basis is None:
            sales.append(LotSale(lot.lot_id, q, None, None, "unknown"))
            continue
        basis = lot.cost_basis * q / lot.quantity
        term: Term = "long" if is_long_term(lot, ctx.options.as_of) else "short"
        sales.append(LotSale(lot.lot_id, q, to_cents(basis), to_cents(q * d.price - basis), term))
    return tuple(sales)


def trades(ctx: Context, book: Book) -> tuple[Trade, ...]:
    """Sells first, then buys; each by account, then symbol."""
    ordered = sorted(
        book.drafts,
        key=lambda d: (d.side != "sell", d.account_id, ctx.symbol(d.security_id), d.security_id),
    )
    return tuple(
        Trade(
            account_id=d.account_id,
            security_id=d.security_id,
            symbol=ctx.symbol(d.security_id),
            side=d.side,
            quantity=d.quantity,
            price=d.price,
            value=to_cents(d.value),
            reason=reason(ctx, d),
            lots=lot_sales(ctx, d) if d.side == "sell" else (),
        )
        for d in ordered
    )


def projection(ctx: Context, book: Book) -> tuple[ClassProjection, ...]:
    withdrawal = ctx.options.raise_amount if ctx.options.mode == "raise_cash" else ZERO
    after_total = ctx.total - withdrawal
    out = []
    for b in ctx.buckets:
        after = book.values[b.index] - (withdrawal if b.is_cash else ZERO)
        if b.target_id is None and b.value == 0 and after == 0:
            continue
        out.append(
            ClassProjection(
                target_id=b.target_id,
                label=b.label,
                current_weight=weight(ctx, b.value).quantize(BASIS_POINT, ROUND_HALF_UP),
                projected_weight=weight(ctx, after, after_total).quantize(
                    BASIS_POINT, ROUND_HALF_UP
                ),
                target=b.weight,
                low=b.low,
                high=b.high,
                breached_before=b.state(b.value) != 0,
                breached_after=state(b, after, after_total) != 0,
            )
        )
    return tuple(out)


def gains(ctx: Context, made: tuple[Trade, ...]) -> tuple[Decimal, Decimal, list[Note]]:
    """Estimated realised short- and long-term gains (taxable accounts only) and notes."""
    short = long = ZERO
    unknown: list[str] = []
    for t in made:
        account = ctx.account(t.account_id)
        if account.tax_status != "taxable":
            continue
        for sale in t.lots:
            if sale.gain is None:
                unknown.append(f"{t.symbol} in {account.name}")
            elif sale.term == "long":
                long += sale.gain
            else:
                short += sale.gain
    notes = []
    if unknown:
        where = ", ".join(sorted(set(unknown)))
        text = (
            f"{len(unknown)} {'lot' if len(unknown) == 1 else 'lots'} with unknown cost basis "
            f"{'was' if len(unknown) == 1 else 'were'} sold ({where}); "
            "gains estimated without them."
        )
        notes.append(Note(text, subject=where, effect="flag"))
    return short, long, notes


def wash_flags(ctx: Context, made: tuple[Trade, ...]) -> list[Note]:
    """Loss sales in taxable accounts of a security bought inside the look-back window."""
    notes = []
    for t in made:
        buy = ctx.recent_buys.get(t.security_id)
        loss = any(s.gain is not None and s.gain < 0 for s in t.lots)
        if t.side == "sell" and buy and loss and ctx.account(t.account_id).tax_status == "taxable":
            text = (
                f"Wash-sale flag: {t.symbol} is sold at a loss in {ctx.account(t.account_id).name} "
                f"but was bought on {buy.trade_date.isoformat()} in account {buy.account_id}; "
                "the loss may be disallowed."
            )
            notes.append(Note(text, rule=4, subject=t.symbol, effect="flag"))
    return notes


def bucket_notes(ctx: Context, book: Book) -> list[Note]:
    """Per class: why it traded less than planned (the rule that won, the drift left), or why
    it did not trade at all."""
    withdrawal = ctx.options.raise_amount if ctx.options.mode == "raise_cash" else ZERO
    after_total = ctx.total - withdrawal
    traded = {d.bucket for d in book.drafts}
    notes = []
    for b in ctx.buckets:
        after = book.values[b.index] - (withdrawal if b.is_cash else ZERO)
        w_after = weight(ctx, after, after_total)
        blockers = book.blockers.get(b.index, [])
        if blockers:
            rule = min(r for r, _ in blockers)
            why = "; ".join(text for _, text in blockers)
            outside = ", still outside its band" if state(b, after, after_total) else ""
            text = (
                f"{b.label}: {why}. Rule {rule} ({RULES[rule]}) wins over the target: "
                f"{pct(w_after)}% vs target {plain(b.weight)}% after the trades "
                f"({pct(w_after - b.weight)} points of drift left{outside})."
            )
            effect = book.effects.get(b.index) or ("limited" if b.index in traded else "no_trade")
            left = signed(w_after - b.weight)
            notes.append(Note(text, rule=rule, subject=b.label, effect=effect, drift_left=left))
        elif b.index not in traded and not b.is_cash and (b.value > 0 or b.target_id):
            drift = signed(w_after - b.weight) if b.state(b.value) else None
            notes.append(Note(_skip(ctx, b), subject=b.label, effect="no_trade", drift_left=drift))
    return notes


def _skip(ctx: Context, b: Bucket) -> str:
    side = b.state(b.value)
    if not side:
        return f"{b.label} inside band: no trade."
    where = "above" if side > 0 else "below"
    if ctx.options.mode == "buy_only" and side > 0:
        return f"{b.label} {where} its band: buy-only mode never sells."
    if ctx.options.mode == "raise_cash" and side < 0:
        return f"{b.label} {where} its band: raise-cash mode only sells."
    if ctx.options.mode == "raise_cash":
        # Only a free choice gets here: a restriction or rule 7 that moved the sale elsewhere
        # is a blocker of this bucket and named as such.
        return f"{b.label} {where} its band: the withdrawal is covered by other sales."
    return f"{b.label} {where} its band: no trade was possible."
