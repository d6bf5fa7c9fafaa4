"""What a proposal starts from: buckets, values, bands, reserves and restrictions.

Part of :mod:`portfolios.rebalance.engine` (read its docstring first). Everything here is computed
once from the :class:`~portfolios.rebalance.types.ProposalInput` and never changes while the
proposal is built. Values are exact Decimals (the caller runs inside a 60-digit context).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from advisory.money import CENT, ZERO
from portfolios.bands import UNASSIGNED_ABS_BAND, band_limits
from portfolios.rebalance.types import (
    AccountInput,
    Lot,
    Options,
    ProposalInput,
    RecentTrade,
    TargetInput,
)

HUNDRED = Decimal(100)
LONG_TERM_DAYS = 365  # held longer than this: long-term
UNASSIGNED_LABEL = "Outside the model"
LOCATION_RANK = {  # where buys go first, household scope
    True: {"tax_deferred": 0, "tax_exempt": 1, "taxable": 2},  # fixed income
    False: {"tax_exempt": 0, "taxable": 1, "tax_deferred": 2},  # everything else
}
SELL_RANK = {"tax_deferred": 0, "tax_exempt": 1, "taxable": 2}  # where sells come from first


@dataclass
class Bucket:
    """One target of the model (or the holdings outside every target), over the whole scope."""

    index: int
    target_id: int | None
    label: str
    weight: Decimal  # target, percent
    low: Decimal  # band edges, percent
    high: Decimal
    is_cash: bool  # holds the cash balance: never traded itself, it funds the others
    income: bool
    buy_ids: tuple[int, ...] = ()  # what to buy to fill it: preferred first, then equivalents
    value: Decimal = ZERO  # current, exact, every account (held-away included)
    target_value: Decimal = ZERO
    low_value: Decimal = ZERO
    high_value: Decimal = ZERO

    @property
    def width(self) -> Decimal:
        """The band half-width shown as ±x (the tighter of the absolute and relative bands)."""
        return self.high - self.weight if self.high < HUNDRED else self.weight - self.low

    def state(self, value: Decimal) -> int:
        """-1 below the band, 0 inside it (edges included), 1 above it: exact, on values."""
        if value > self.high_value:
            return 1
        return -1 if value < self.low_value else 0


@dataclass
class Context:
    """The fixed facts of one proposal."""

    data: ProposalInput
    accounts: tuple[AccountInput, ...]  # by id
    tradeable: tuple[AccountInput, ...]  # not held-away, by id
    buckets: list[Bucket]  # display order: weight descending, target_id; unassigned last
    cash_index: int  # the bucket holding the cash balance
    sec_bucket: dict[int, int]
    total: Decimal  # value of the scope, held-away included
    account_value: dict[int, Decimal]
    reserve: dict[int, Decimal]  # per tradeable account, cents, rounded up
    reserve_total: Decimal
    wash_blocked: dict[int, RecentTrade]  # security → the loss sale that blocks buying it
    recent_buys: dict[int, RecentTrade]  # security → a buy inside the look-back window
    stale: frozenset[int]
    held_ids: frozenset[int]
    notes: list[str] = field(default_factory=list)
    by_id: dict[int, AccountInput] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {a.account_id: a for a in self.accounts}

    @property
    def options(self) -> Options:
        return self.data.options

    def price(self, security_id: int) -> Decimal:
        return self.data.securities[security_id].price

    def symbol(self, security_id: int) -> str:
        return self.data.securities[security_id].symbol

    def account(self, account_id: int) -> AccountInput:
        return self.by_id[account_id]

    def on_list(self, security_id: int, side: str, account: AccountInput) -> str | None:
        """Which do-not-``side`` list keeps ``security_id`` from trading in ``account``, named
        with the restrictions' scope and reason when the input carries them, e.g. "the
        do-not-sell list (firm-wide: merger review)" or "Joint's do-not-buy list (client
        request)"; None when neither list holds it."""
        firm_list = self.options.do_not_sell if side == "sell" else self.options.do_not_buy
        own_list = account.do_not_sell if side == "sell" else account.do_not_buy
        infos = [r for r in self.data.restrictions if r.security_id == security_id]
        infos = [r for r in infos if r.side == side]
        if security_id in firm_list:
            why = [
                f"{r.scope_label}: {r.reason.rstrip('.')}" for r in infos if r.scope != "account"
            ]
            name = "the"
        elif security_id in own_list:
            why = [r.reason.rstrip(".") for r in infos if r.account_id == account.account_id]
            name = f"{account.name}'s"
        else:
            return None
        detail = f" ({'; '.join(why)})" if why else ""
        return f"{name} do-not-{side} list{detail}"

    def can_sell(self, account: AccountInput, security_id: int) -> bool:
        return (
            not account.held_away
            and security_id not in self.options.do_not_sell
            and security_id not in account.do_not_sell
            and security_id not in self.stale
        )

    def buy_block(self, account: AccountInput, security_id: int) -> tuple[int, str] | None:
        """Why ``security_id`` cannot be bought in ``account``, with the precedence rule that
        says so (None: it can be bought)."""
        if security_id in self.stale:
            return 2, "its price is stale"
        listed = self.on_list(security_id, "buy", account)
        if listed is not None:
            return 2, f"it is on {listed}"
        if security_id in self.wash_blocked:
            sale = self.wash_blocked[security_id]
            return 4, f"it was sold at a loss on {sale.trade_date.isoformat()} (wash sale)"
        return None


def lot_value(lot: Lot, price: Decimal) -> Decimal:
    return lot.quantity * price


def is_long_term(lot: Lot, as_of: dt.date) -> bool:
    return (as_of - lot.acquired_on).days > LONG_TERM_DAYS


def build_context(data: ProposalInput) -> Context:
    """Validate the input and compute buckets, values, band edges, reserves and look-backs."""
    _validate(data)
    opts = data.options
    accounts = tuple(sorted(data.accounts, key=lambda a: a.account_id))
    tradeable = tuple(a for a in accounts if not a.held_away)
    buckets, sec_bucket, cash_index = _buckets(data)
    held = frozenset(lot.security_id for a in accounts for lot in a.lots)
    class_bucket = _class_buckets(data)
    for sid in sorted(held | set(data.securities)):
        if sid not in sec_bucket:
            sec_bucket[sid] = _fallback_bucket(data, sid, buckets, class_bucket)

    account_value: dict[int, Decimal] = {}
    prices = {sid: info.price for sid, info in data.securities.items()}
    held_value: dict[int, Decimal] = {}  # per security, every account in scope
    for account in accounts:
        invested = ZERO
        for lot in account.lots:
            value = lot.quantity * prices[lot.security_id]
            invested += value
            buckets[sec_bucket[lot.security_id]].value += value
            held_value[lot.security_id] = held_value.get(lot.security_id, ZERO) + value
        account_value[account.account_id] = invested + account.cash
        buckets[cash_index].value += account.cash
    total = sum(account_value.values(), ZERO)
    for b in buckets:
        b.target_value = b.weight * total / HUNDRED
        b.low_value = b.low * total / HUNDRED
        b.high_value = b.high * total / HUNDRED

    _held_fallback(buckets, held_value, sec_bucket)
    reserve, reserve_total = _reserves(tradeable, account_value, opts)
    window = dt.timedelta(days=opts.wash_sale_days)
    recent = sorted(data.recent_trades, key=lambda t: (t.trade_date, t.account_id, t.security_id))
    in_window = [t for t in recent if opts.as_of - t.trade_date <= window]
    stale_before = opts.as_of - dt.timedelta(days=opts.stale_days)
    return Context(
        data=data,
        accounts=accounts,
        tradeable=tradeable,
        buckets=buckets,
        cash_index=cash_index,
        sec_bucket=sec_bucket,
        total=total,
        account_value=account_value,
        reserve=reserve,
        reserve_total=reserve_total,
        wash_blocked={t.security_id: t for t in in_window if t.side == "sell" and t.at_loss},
        recent_buys={t.security_id: t for t in in_window if t.side == "buy"},
        stale=frozenset(s for s, info in data.securities.items() if info.price_date < stale_before),
        held_ids=held,
    )


def _validate(data: ProposalInput) -> None:
    if data.scope == "account" and len(data.accounts) != 1:
        raise ValueError("an account-scope proposal takes exactly one account")
    if data.options.mode not in ("to_target", "to_band", "buy_only", "raise_cash"):
        raise ValueError(f"unknown mode {data.options.mode!r}")
    if len({a.account_id for a in data.accounts}) != len(data.accounts):
        raise ValueError("account ids must be unique")
    for t in data.targets:
        if (t.asset_class_id is None) == (t.security_id is None):
            raise ValueError(f"target {t.target_id} must name an asset class or a security")
    for sid, info in data.securities.items():
        if info.security_id != sid or info.price <= 0:
            raise ValueError(f"security {sid}: the key must match and the price must be > 0")
    for account in data.accounts:
        for lot in account.lots:
            if lot.security_id not in data.securities:
                raise ValueError(f"lot {lot.lot_id}: security {lot.security_id} has no price")
            if lot.quantity < 0:
                raise ValueError(f"lot {lot.lot_id}: negative quantity")


def _buckets(data: ProposalInput) -> tuple[list[Bucket], dict[int, int], int]:
    """Targets in display order, the unassigned bucket last; which bucket claims which security
    outright (a security target's own security, then its equivalents, lowest target_id first).
    """
    targets = sorted(data.targets, key=lambda t: (-t.weight, t.target_id))
    buckets: list[Bucket] = []
    for i, t in enumerate(targets):
        low, high = band_limits(t.weight, t.abs_band, t.rel_band)
        income = t.tax_deferred_first
        is_cash = t.asset_class_id is not None and t.asset_class_id == data.cash_class_id
        buckets.append(Bucket(i, t.target_id, t.label, t.weight, low, high, is_cash, income))
    has_cash = any(b.is_cash for b in buckets)
    low, high = band_limits(ZERO, UNASSIGNED_ABS_BAND, ZERO)
    buckets.append(
        Bucket(len(targets), None, UNASSIGNED_LABEL, ZERO, low, high, not has_cash, False)
    )
    cash_index = next(b.index for b in buckets if b.is_cash)

    claims: dict[int, int] = {}
    by_id = sorted(range(len(targets)), key=lambda i: targets[i].target_id)
    for i in by_id:  # a target naming the security wins…
        own = targets[i].security_id
        if own is not None:
            claims.setdefault(own, i)
    for i in by_id:  # …then the lowest target_id listing it as an equivalent
        if targets[i].security_id is not None:
            for sid in sorted(targets[i].equivalent_ids):
                claims.setdefault(sid, i)
    for i, t in enumerate(targets):
        buckets[i].buy_ids = _buy_ids(t, data, claims, i)
    return buckets, claims, cash_index


def _buy_ids(
    t: TargetInput, data: ProposalInput, claims: dict[int, int], i: int
) -> tuple[int, ...]:
    """Preferred security first (the security itself for a security target), then equivalents
    by id; only securities that are priced and count toward this target."""
    first = t.preferred_security_id or t.security_id
    rest = sorted(set(t.equivalent_ids) | ({t.security_id} if t.security_id else set()))
    ids = ([first] if first is not None else []) + [s for s in rest if s != first]

    def counts_here(sid: int) -> bool:
        if sid not in data.securities:
            return False
        if sid in claims:
            return claims[sid] == i
        return t.asset_class_id == data.securities[sid].asset_class_id

    return tuple(s for s in ids if counts_here(s))


def _class_buckets(data: ProposalInput) -> dict[int, int]:
    """Asset class id → the bucket of its class target with the lowest target_id."""
    targets = sorted(data.targets, key=lambda t: (-t.weight, t.target_id))  # bucket order
    best: dict[int, tuple[int, int]] = {}
    for i, t in enumerate(targets):
        if t.asset_class_id is not None:
            best[t.asset_class_id] = min(
                best.get(t.asset_class_id, (t.target_id, i)), (t.target_id, i)
            )
    return {class_id: i for class_id, (_, i) in best.items()}


def _fallback_bucket(
    data: ProposalInput, sid: int, buckets: list[Bucket], class_bucket: dict[int, int]
) -> int:
    """A security no security target claims: its class's target (lowest target_id), else the
    unassigned bucket (which is the cash bucket when the model has no cash target)."""
    info = data.securities.get(sid)
    if info is None:
        return buckets[-1].index
    return class_bucket.get(info.asset_class_id, buckets[-1].index)


def _reserves(
    tradeable: tuple[AccountInput, ...], account_value: dict[int, Decimal], opts: Options
) -> tuple[dict[int, Decimal], Decimal]:
    """The cash to keep: the larger of the amount and the percentage of the traded accounts'
    value, shared among them in proportion to their value, each share rounded up to the cent."""
    traded = sum((account_value[a.account_id] for a in tradeable), ZERO)
    total = max(opts.cash_reserve_amount, opts.cash_reserve_pct * max(traded, ZERO) / HUNDRED)
    if total <= 0 or traded <= 0:
        return {a.account_id: ZERO for a in tradeable}, ZERO
    shares = {
        a.account_id: (total * max(account_value[a.account_id], ZERO) / traded).quantize(
            CENT, rounding=ROUND_CEILING
        )
        for a in tradeable
    }
    return shares, total


def _held_fallback(
    buckets: list[Bucket], held: dict[int, Decimal], sec_bucket: dict[int, int]
) -> None:
    """A class target naming no security to buy buys what the scope already holds most of
    (``held``: the value held per security, every account in scope)."""
    mine: dict[int, list[int]] = {}
    for sid, value in held.items():
        if value > 0:
            mine.setdefault(sec_bucket[sid], []).append(sid)
    for b in buckets:
        if b.target_id is not None and not b.is_cash and not b.buy_ids:
            b.buy_ids = tuple(sorted(mine.get(b.index, ()), key=lambda sid: (-held[sid], sid)))
