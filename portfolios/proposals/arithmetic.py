"""The arithmetic of an edited proposal: pure, no database.

When a person edits, adds or removes a trade, :mod:`portfolios.proposals.workflow`
checks the whole trade list against the input it was built from
(:func:`check_quantity`, :func:`check_trades`), picks the lots a changed
sell takes (:func:`allocate_lots`) and recomputes the totals, the cash after
and the class weights (:func:`reproject`). Weights and bands follow the
drift rules of :mod:`portfolios.drift.engine`: percent, 4 decimals, half away from
zero; breached when strictly outside ``target ± min(abs band, target × rel band)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from advisory.money import ZERO, market_value, to_cents
from portfolios.bands import UNASSIGNED_ABS_BAND, band_limits
from portfolios.rebalance.types import (
    AccountInput,
    ClassProjection,
    LotSale,
    ProposalInput,
    Term,
    Trade,
)

WEIGHT = Decimal("0.0001")
QUANTITY_STEP = Decimal("1e-9")  # advisory.money.QUANTITY: 9 decimals
HUNDRED = Decimal(100)
UNASSIGNED_LABEL = "Outside the model"


def plain(value: Decimal | None) -> str | None:
    """A Decimal as plain text: no exponent, no trailing zeros ("10", "0.5", "-3.25")."""
    if value is None:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- JSON forms --------------------------------------------------------------------------


def lots_to_json(lots: Iterable[LotSale]) -> list[dict[str, Any]]:
    return [
        {
            "lot_id": s.lot_id,
            "quantity": plain(s.quantity),
            "cost_basis": None if s.cost_basis is None else str(s.cost_basis),
            "gain": None if s.gain is None else str(s.gain),
            "term": s.term,
        }
        for s in lots
    ]


def lots_from_json(rows: Iterable[Mapping[str, Any]]) -> tuple[LotSale, ...]:
    def dec(v: Any) -> Decimal | None:
        return None if v is None else Decimal(v)

    return tuple(
        LotSale(
            r["lot_id"], Decimal(r["quantity"]), dec(r["cost_basis"]), dec(r["gain"]), r["term"]
        )
        for r in rows
    )


def projection_to_json(rows: Iterable[ClassProjection]) -> list[dict[str, Any]]:
    return [
        {k: (str(v) if isinstance(v, Decimal) else v) for k, v in dataclasses.asdict(r).items()}
        for r in rows
    ]


def trade_of(row: Any, symbol: str = "") -> Trade:
    """A stored ``ProposedTrade`` (or anything with its fields) as the engine's type."""
    return Trade(
        account_id=row.account_id,
        security_id=row.security_id,
        symbol=symbol,
        side=row.side,
        quantity=row.quantity,
        price=row.price,
        value=row.value,
        reason=row.reason,
        lots=lots_from_json(row.lots),
    )


# --- Lots --------------------------------------------------------------------------------


def term_of(acquired_on: dt.date, sold_on: dt.date) -> Term:
    """Long term when held more than one year."""
    try:
        anniversary = acquired_on.replace(year=acquired_on.year + 1)
    except ValueError:  # 29 February
        anniversary = acquired_on.replace(year=acquired_on.year + 1, day=28)
    return "long" if sold_on > anniversary else "short"


def allocate_lots(
    data: ProposalInput,
    *,
    account_id: int,
    security_id: int,
    quantity: Decimal,
    price: Decimal,
    prefer: Iterable[int] = (),
) -> tuple[LotSale, ...]:
    """The lots a sell of ``quantity`` takes: ``prefer`` (lot ids) first, in that order,
    then losses, then long-term lots, highest cost per share first, unknown bases last."""
    as_of = data.options.as_of
    rank = {lot_id: i for i, lot_id in enumerate(prefer)}
    lots = [lot for lot in _account(data, account_id).lots if lot.security_id == security_id]

    def key(lot: Any) -> tuple:
        per_share = lot.cost_basis / lot.quantity if lot.cost_basis is not None else None
        return (
            rank.get(lot.lot_id, len(rank)),
            not (per_share is not None and per_share > price),
            term_of(lot.acquired_on, as_of) != "long",
            per_share is None,
            -(per_share or ZERO),
            lot.acquired_on,
            lot.lot_id,
        )

    sales, left = [], quantity
    for lot in sorted(lots, key=key):
        if left <= 0:
            break
        take = min(left, lot.quantity)
        left -= take
        basis = None if lot.cost_basis is None else to_cents(lot.cost_basis * take / lot.quantity)
        gain = None if basis is None else to_cents(market_value(take, price)) - basis
        sales.append(LotSale(lot.lot_id, take, basis, gain, term_of(lot.acquired_on, as_of)))
    return tuple(sales)


# --- Checks ------------------------------------------------------------------------------


def _account(data: ProposalInput, account_id: int) -> AccountInput:
    for account in data.accounts:
        if account.account_id == account_id:
            return account
    raise ValidationError({"account": "That account is not part of this proposal."})


def check_quantity(data: ProposalInput, account_id: int, quantity: Any) -> Decimal:
    """The quantity as a Decimal, or a ValidationError keyed "quantity"."""
    if isinstance(quantity, float):
        raise ValidationError({"quantity": "Give the quantity as a decimal, not a float."})
    try:
        q = Decimal(str(quantity).strip())
    except InvalidOperation:
        raise ValidationError({"quantity": "Enter a number of shares."}) from None
    if not q.is_finite() or q <= 0:
        raise ValidationError({"quantity": "The quantity must be more than zero."})
    if q >= Decimal("1e11") or q != q.quantize(QUANTITY_STEP):
        raise ValidationError({"quantity": "At most 11 digits and 9 decimals."})
    if q != q.to_integral_value() and not _account(data, account_id).fractional:
        raise ValidationError({"quantity": "This account trades whole shares only."})
    return q


def check_trades(
    data: ProposalInput, trades: Iterable[Trade], *, field: str = NON_FIELD_ERRORS
) -> None:
    """Refuse trades in held-away accounts, on restricted lists, selling more than an
    account holds, or leaving any account's cash below zero. Errors go under ``field``."""
    trades = list(trades)
    errors: list[str] = []
    held: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for account in data.accounts:
        for lot in account.lots:
            held[account.account_id, lot.security_id] += lot.quantity
    sold: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for t in trades:
        account = _account(data, t.account_id)
        symbol = symbol_of(data, t.security_id)
        if account.held_away:
            errors.append(f"{account.name} is held away: it is never traded.")
        restricted = data.options.do_not_buy | account.do_not_buy
        if t.side == "sell":
            sold[t.account_id, t.security_id] += t.quantity
            restricted = data.options.do_not_sell | account.do_not_sell
        if t.security_id in restricted:
            errors.append(f"{symbol} is on the do-not-{t.side} list.")
    for (account_id, security_id), quantity in sorted(sold.items()):
        have = held[account_id, security_id]
        if quantity > have:
            errors.append(
                f"Sells {plain(quantity)} {symbol_of(data, security_id)} in "
                f"{_account(data, account_id).name}, which holds {plain(have)}."
            )
    for account_id, cash in cash_after(data, trades).items():
        if cash < 0:
            name = _account(data, account_id).name
            errors.append(f"Cash in {name} would be {cash} after these trades.")
    if errors:
        raise ValidationError({field: list(dict.fromkeys(errors))})


def symbol_of(data: ProposalInput, security_id: int) -> str:
    info = data.securities.get(security_id)
    return info.symbol if info else f"#{security_id}"


# --- Projection --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reprojection:
    cash_after: dict[int, Decimal]
    projection: tuple[ClassProjection, ...]
    trade_value: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal


def cash_after(data: ProposalInput, trades: Iterable[Trade]) -> dict[int, Decimal]:
    cash = {a.account_id: a.cash for a in data.accounts}
    for t in trades:
        cash[t.account_id] += t.value if t.side == "sell" else -t.value
    return cash


def reproject(data: ProposalInput, trades: Iterable[Trade]) -> Reprojection:
    """Cash after, class weights before and after, trade value and realized gains.

    Realized gains count sells in taxable accounts only.
    """
    trades = list(trades)
    bucket = _buckets(data)
    before: dict[int | None, Decimal] = defaultdict(lambda: ZERO)
    for account in data.accounts:
        before[bucket(None, data.cash_class_id)] += account.cash
        for lot in account.lots:
            info = data.securities[lot.security_id]
            before[bucket(lot.security_id, info.asset_class_id)] += market_value(
                lot.quantity, info.price
            )
    after = defaultdict(lambda: ZERO, before)
    realized = {"short": ZERO, "long": ZERO, "unknown": ZERO}
    taxable = {a.account_id for a in data.accounts if a.tax_status == "taxable"}
    for t in trades:
        sign = 1 if t.side == "buy" else -1
        info = data.securities[t.security_id]
        after[bucket(t.security_id, info.asset_class_id)] += sign * market_value(
            t.quantity, t.price
        )
        after[bucket(None, data.cash_class_id)] -= sign * t.value
        if t.side == "sell" and t.account_id in taxable:
            for sale in t.lots:
                realized[sale.term] += sale.gain or ZERO
    rows: list[tuple[int | None, str, Decimal, Decimal, Decimal]] = [
        (t.target_id, t.label, t.weight, t.abs_band, t.rel_band) for t in data.targets
    ]
    if before.get(None) or after.get(None):
        rows.append((None, UNASSIGNED_LABEL, ZERO, UNASSIGNED_ABS_BAND, ZERO))
    total_before, total_after = sum(before.values(), ZERO), sum(after.values(), ZERO)
    projection = []
    for target_id, label, target, abs_band, rel_band in rows:
        low, high = band_limits(target, abs_band, rel_band)
        now, then = _weight(before[target_id], total_before), _weight(after[target_id], total_after)
        projection.append(
            ClassProjection(
                target_id, label, now, then, target, low, high,
                breached_before=not low <= now <= high if total_before else False,
                breached_after=not low <= then <= high if total_after else False,
            )
        )  # fmt: skip
    return Reprojection(
        cash_after=cash_after(data, trades),
        projection=tuple(projection),
        trade_value=sum((t.value for t in trades), ZERO),
        realized_short_term=realized["short"],
        realized_long_term=realized["long"],
    )


def _weight(value: Decimal, total: Decimal) -> Decimal:
    if not total:
        return ZERO
    return (value * HUNDRED / total).quantize(WEIGHT, rounding=ROUND_HALF_UP)


def _buckets(data: ProposalInput) -> Callable[[int | None, int], int | None]:
    """(security_id, asset_class_id) → target id (None: outside the model), as in drift:
    a security target takes its security, then its equivalents (lowest target id first);
    a class target takes the rest of its class; cash counts as the cash class."""
    by_security: dict[int, int] = {}
    for t in sorted(data.targets, key=lambda t: t.target_id):
        if t.security_id is not None:
            for sid in sorted(t.equivalent_ids):
                by_security.setdefault(sid, t.target_id)
    by_security.update({t.security_id: t.target_id for t in data.targets if t.security_id})
    by_class = {t.asset_class_id: t.target_id for t in data.targets if t.asset_class_id}

    def bucket(security_id: int | None, class_id: int) -> int | None:
        if security_id is not None and security_id in by_security:
            return by_security[security_id]
        return by_class.get(class_id)

    return bucket
