"""In-memory synthetic inputs for ``bench_rebalance`` (no database, no numpy).

Two generators, both deterministic for a given seed (``random.Random``):

- :func:`household`: one drifted household of 6 accounts (2 taxable, 2 tax-deferred, 1
  tax-exempt, 1 held-away taxable), 300 lots over 30 securities in 5 classes, heavy in large
  cap and light in small cap, against a 5-class model with preferred securities and
  equivalents; built as a :class:`~portfolios.rebalance.types.ProposalInput`.
- :func:`peer_workload`: the appendix C workload of the performance anchors (single-account
  portfolios × 25 funds = 5 classes × 5 funds, weights 40/10/20/27/3 % by class), with
  :func:`peer_input` turning one account of it into per-security targets for our engine.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import Decimal

from advisory.money import CENT, ZERO
from portfolios.rebalance.types import (
    AccountInput,
    Lot,
    Options,
    ProposalInput,
    SecurityInfo,
    TargetInput,
)

AS_OF = dt.date(2025, 12, 31)
CASH_CLASS = 5
# class id, label, model target %, share of the drifted holdings
HOUSEHOLD_CLASSES = (
    (1, "US large cap", Decimal(40), 0.62),
    (2, "US small cap", Decimal(15), 0.04),
    (3, "International", Decimal(20), 0.15),
    (4, "US aggregate bond", Decimal(22), 0.17),
    (CASH_CLASS, "Cash", Decimal(3), 0.02),
)
SECURITIES_PER_CLASS = 6
HOUSEHOLD_ACCOUNTS = (  # id, name, tax status, held away, share of the lots
    (1, "Joint brokerage", "taxable", False, 0.25),
    (2, "Trust", "taxable", False, 0.15),
    (3, "IRA (A)", "tax_deferred", False, 0.2),
    (4, "401(k) (B)", "tax_deferred", False, 0.15),
    (5, "Roth IRA", "tax_exempt", False, 0.15),
    (6, "Held-away brokerage", "taxable", True, 0.1),
)
HOUSEHOLD_LOTS = 300

# Appendix C: 5 classes × 5 funds; class weights split evenly over the class's funds.
PEER_CLASS_WEIGHTS = (Decimal("0.40"), Decimal("0.10"), Decimal("0.20"), Decimal("0.27"))
PEER_CASH_WEIGHT = Decimal("0.03")
PEER_FUNDS_PER_CLASS = 5


def _price(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(rng.uniform(low, high))).quantize(CENT)


def household(seed: int, *, household_id: int = 0) -> ProposalInput:
    """One drifted household (see the module docstring); ``household_id`` offsets the ids."""
    rng = random.Random(seed)  # noqa: S311 - synthetic bench data, not security
    base = household_id * 1000
    securities: dict[int, SecurityInfo] = {}
    by_class: dict[int, list[int]] = {}
    for class_id, label, _, _ in HOUSEHOLD_CLASSES:
        for n in range(SECURITIES_PER_CLASS):
            sid = class_id * 100 + n + 1
            price = Decimal(1) if class_id == CASH_CLASS else _price(rng, 10, 400)
            symbol = f"{label.split()[-1][:3].upper()}{n + 1}"
            securities[sid] = SecurityInfo(sid, symbol, class_id, price, AS_OF)
            by_class.setdefault(class_id, []).append(sid)

    account_ids = [a[0] for a in HOUSEHOLD_ACCOUNTS]
    account_shares = [a[4] for a in HOUSEHOLD_ACCOUNTS]
    class_ids = [c[0] for c in HOUSEHOLD_CLASSES]
    class_shares = [c[3] for c in HOUSEHOLD_CLASSES]
    lots: dict[int, list[Lot]] = {aid: [] for aid in account_ids}
    for n in range(HOUSEHOLD_LOTS):
        aid = rng.choices(account_ids, account_shares)[0]
        class_id = rng.choices(class_ids, class_shares)[0]
        sid = rng.choice(by_class[class_id])
        price = securities[sid].price
        quantity = Decimal(max(1, math.floor(math.exp(rng.uniform(8, 10)) / float(price))))
        basis = (quantity * price * Decimal(str(rng.uniform(0.6, 1.4)))).quantize(CENT)
        acquired = AS_OF - dt.timedelta(days=rng.randint(5, 2500))
        lots[aid].append(Lot(base + n + 1, sid, quantity, basis, acquired))

    accounts = tuple(
        AccountInput(
            account_id=base + aid,
            name=name,
            tax_status=status,
            cash=Decimal(rng.randint(0, 400_000)) * CENT,
            lots=tuple(lots[aid]),
            held_away=held_away,
        )
        for aid, name, status, held_away, _ in HOUSEHOLD_ACCOUNTS
    )
    targets = tuple(
        TargetInput(
            target_id=class_id,
            label=label,
            weight=weight,
            asset_class_id=class_id,
            preferred_security_id=by_class[class_id][0],
            equivalent_ids=frozenset(by_class[class_id][1:3]),
            tax_deferred_first=label.endswith("bond"),
        )
        for class_id, label, weight, _ in HOUSEHOLD_CLASSES
    )
    return ProposalInput(
        scope="household",
        accounts=accounts,
        securities=securities,
        targets=targets,
        cash_class_id=CASH_CLASS,
        options=Options(mode="to_target", as_of=AS_OF),
    )


@dataclass(frozen=True)
class Fund:
    security_id: int
    symbol: str
    class_id: int
    weight: Decimal  # fraction of the account (sums to 1 over the 25 funds)
    price: Decimal


@dataclass(frozen=True)
class PeerAccount:
    account_id: int
    cash: Decimal
    positions: dict[str, int]  # symbol → whole shares


@dataclass(frozen=True)
class PeerWorkload:
    funds: tuple[Fund, ...]
    accounts: tuple[PeerAccount, ...]


def peer_workload(accounts: int, seed: int) -> PeerWorkload:
    """Appendix C: cash funds at $1, others U(10, 400); value e^U(10.5, 13.5); quantity
    max(1, floor(value·w/price · max(0.02, 1 + U³·1.6·U(−1, 1)))); cash U(0, 2 %)·value."""
    rng = random.Random(seed)  # noqa: S311 - synthetic bench data, not security
    funds = []
    for c, class_weight in enumerate((*PEER_CLASS_WEIGHTS, PEER_CASH_WEIGHT)):
        class_id = c + 1
        for f in range(PEER_FUNDS_PER_CLASS):
            sid = class_id * 100 + f + 1
            price = Decimal(1) if class_id == CASH_CLASS else _price(rng, 10, 400)
            weight = class_weight / PEER_FUNDS_PER_CLASS
            funds.append(Fund(sid, f"F{class_id}{f + 1}", class_id, weight, price))
    rows = []
    for aid in range(1, accounts + 1):
        value = math.exp(rng.uniform(10.5, 13.5))
        positions = {}
        for fund in funds:
            drift = max(0.02, 1 + rng.random() ** 3 * 1.6 * rng.uniform(-1, 1))
            shares = math.floor(value * float(fund.weight) / float(fund.price) * drift)
            positions[fund.symbol] = max(1, shares)
        cash = Decimal(str(rng.uniform(0, 0.02) * value)).quantize(CENT)
        rows.append(PeerAccount(aid, cash, positions))
    return PeerWorkload(tuple(funds), tuple(rows))


def peer_securities(work: PeerWorkload) -> dict[int, SecurityInfo]:
    return {
        f.security_id: SecurityInfo(f.security_id, f.symbol, f.class_id, f.price, AS_OF)
        for f in work.funds
    }


def peer_targets(work: PeerWorkload) -> tuple[TargetInput, ...]:
    """One security target per fund at the fund's weight, zero-width bands (see the command)."""
    return tuple(
        TargetInput(
            target_id=f.security_id,
            label=f.symbol,
            weight=f.weight * 100,
            abs_band=ZERO,
            rel_band=ZERO,
            security_id=f.security_id,
        )
        for f in work.funds
    )


def peer_input(
    work: PeerWorkload,
    account: PeerAccount,
    securities: dict[int, SecurityInfo],
    targets: tuple[TargetInput, ...],
) -> ProposalInput:
    """One account of the workload for our engine: to_target, whole shares, no reserve."""
    ids = {f.symbol: f.security_id for f in work.funds}
    prices = {f.security_id: f.price for f in work.funds}
    lots = tuple(
        Lot(n + 1, sid, Decimal(qty), Decimal(qty) * prices[sid], AS_OF - dt.timedelta(days=400))
        for n, (sid, qty) in enumerate((ids[s], q) for s, q in account.positions.items())
    )
    return ProposalInput(
        scope="account",
        accounts=(
            AccountInput(
                account.account_id, f"A{account.account_id}", "tax_deferred", account.cash, lots
            ),
        ),
        securities=securities,
        targets=targets,
        cash_class_id=CASH_CLASS,
        options=Options(mode="to_target", as_of=AS_OF),
    )
