"""The deterministic plan of one demo firm: pure, it depends only on the seed and the closes.

Every random draw comes from one generator seeded per firm and is taken in a fixed order, so
the plan never depends on what the database already holds.

Holdings are sized at the 2025-12-31 sample closes so that most households show the drift the
seed articles describe: too much US large cap, too little small cap.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import ROUND_DOWN, Decimal

from advisory.money import to_cents

from ..models import Registration, TaxStatus
from .plans import AccountPlan, ClientPlan, HouseholdPlan, LotPlan
from .specs import (
    ACCOUNT_LABEL,
    CLASS_FUNDS,
    DRIFTED_SHARE,
    EMPLOYERS,
    FIRST_LOT_DAY,
    FIRST_NAMES,
    LAST_LOT_DAY,
    MEGA_CAPS,
    NUMBER_DIGITS,
    SEED,
    TAX_STATUS,
    UNKNOWN_BASIS_RATE,
    VALUATION_DAY,
    Closes,
    FirmSpec,
)


def plan_firm(spec: FirmSpec, closes: Closes) -> list[HouseholdPlan]:
    """The households of one firm, exactly the same on every run."""
    return _Planner(spec, closes).households()


class _Planner:
    """Draws one firm's households from a seeded generator, in a fixed order."""

    def __init__(self, spec: FirmSpec, closes: Closes) -> None:
        self.spec = spec
        self.closes = closes
        self.rng = random.Random(f"ballast-demo:{SEED}:{spec.slug}")  # noqa: S311  (not security)
        self.numbers: set[tuple[str, str]] = set()
        self.lot_days = sorted(d for d in closes["SPY"] if FIRST_LOT_DAY <= d <= LAST_LOT_DAY)

    def households(self) -> list[HouseholdPlan]:
        advisors = [email for email, count in self.spec.book for _ in range(count)]
        if len(self.spec.families) < len(advisors):
            raise ValueError(f"{self.spec.slug}: fewer family names than households")
        drifted = self._drift_flags(len(advisors))
        plans = [
            self._household(i, family, advisor, drifted[i])
            for i, (family, advisor) in enumerate(zip(self.spec.families, advisors, strict=False))
        ]
        self._unassign_models(plans)
        return plans

    def _drift_flags(self, n: int) -> list[bool]:
        flags = [i < round(n * DRIFTED_SHARE) for i in range(n)]
        self.rng.shuffle(flags)
        if not flags[0]:  # the portal client's household tells the story
            flags[flags.index(True)], flags[0] = False, True
        return flags

    def _household(self, i: int, family: str, advisor: str, drifted: bool) -> HouseholdPlan:
        model = self.rng.choices(self.spec.models, weights=self.spec.model_odds)[0]
        plan = HouseholdPlan(
            name=f"The {family} Household",
            advisor=advisor,
            team=self._team_member(advisor),
            model=model.name,
            drifted=drifted,
            clients=self._clients(family, portal=i == 0),
        )
        mix = _class_mix(model.weights, drifted, self.rng)
        wealth = 10 ** self.rng.uniform(5.45, 6.55)  # about $280k to $3.5M
        custodian = self.rng.choices(list(self.spec.custodians), self.spec.custodians.values())[0]
        shells = self._accounts(plan.clients, custodian, model.name)
        # The taxable account (first) tends to be the largest.
        shares = [self.rng.uniform(0.5, 1.5) * (1.6 if k == 0 else 1) for k in range(len(shells))]
        for account, share in zip(shells, shares, strict=True):
            self._fill(account, wealth * share / sum(shares), mix)
        plan.accounts = shells
        return plan

    def _team_member(self, advisor: str) -> str | None:
        others = [email for email, _ in self.spec.book if email != advisor]
        if others and self.rng.random() < 0.3:
            return self.rng.choice(others)
        return None

    def _clients(self, family: str, portal: bool) -> list[ClientPlan]:
        count = self.rng.choices((1, 2, 3), weights=(25, 55, 20))[0]
        pools = list(FIRST_NAMES)
        self.rng.shuffle(pools)  # the first client's pool, then the partner's
        names = [self.rng.choice(pools[0]), self.rng.choice(pools[1])]
        names.append(self.rng.choice([n for n in pools[0] + pools[1] if n not in names]))
        clients = [ClientPlan(first, family) for first in names[:count]]
        if portal:
            person = next(p for p in self.spec.people if p.email == self.spec.portal_client)
            first, last = person.full_name.split(" ", 1)
            clients[0] = ClientPlan(first, last, login=person.email)
        return clients

    def _accounts(self, clients: list[ClientPlan], custodian: str, model: str) -> list[AccountPlan]:
        primary, spouse = clients[0], (clients[1] if len(clients) > 1 else None)
        taxable = self._taxable(primary, spouse, custodian)
        pool = [
            (self.rng.choice((Registration.TRADITIONAL_IRA, Registration.ROLLOVER_IRA)), primary),
            (Registration.ROTH_IRA, primary),
        ]
        if spouse:
            pool += [(Registration.ROTH_IRA, spouse), (Registration.PLAN_403B, spouse)]
        else:
            pool.append((Registration.SEP_IRA, primary))
        self.rng.shuffle(pool)
        count = self.rng.choices((2, 3, 4), weights=(25, 45, 30))[0]
        accounts = [taxable] + [
            self._account(f"{p.first} {p.last} {ACCOUNT_LABEL[reg]}", reg, custodian)
            for reg, p in pool[: count - 1]
        ]
        if self.rng.random() < 0.18:  # a 401(k) at the employer's provider
            person = spouse or primary
            accounts[-1] = self._held_away_401k(person)
        for account in accounts:
            account.model = model
        return accounts

    def _taxable(
        self, primary: ClientPlan, spouse: ClientPlan | None, custodian: str
    ) -> AccountPlan:
        if self.rng.random() < 0.15:
            return self._account(f"{primary.last} Family Trust", Registration.TRUST, custodian)
        if spouse:
            name = f"{primary.first} & {spouse.first} {primary.last} Joint"
            return self._account(name, Registration.JOINT, custodian)
        name = f"{primary.first} {primary.last} Individual"
        return self._account(name, Registration.INDIVIDUAL, custodian)

    def _held_away_401k(self, person: ClientPlan) -> AccountPlan:
        employer = self.rng.choice(EMPLOYERS)
        name = f"{person.first} {person.last} 401(k) at {employer}"
        account = self._account(name, Registration.PLAN_401K, "other")
        account.held_away = True
        return account

    def _account(self, name: str, registration: str, custodian: str) -> AccountPlan:
        return AccountPlan(
            name=name,
            registration=registration,
            custodian=custodian,
            number=self._number(custodian),
            held_away=False,
            fractional=custodian == "altruist",  # Altruist trades fractional shares
            model=None,
        )

    def _number(self, custodian: str) -> str:
        digits = NUMBER_DIGITS[custodian]
        while True:
            number = str(self.rng.randrange(10 ** (digits - 1), 10**digits))
            if (custodian, number) not in self.numbers:
                self.numbers.add((custodian, number))
                return number

    def _fill(self, account: AccountPlan, value: float, mix: dict[str, float]) -> None:
        """Size cash and positions so the account's weights follow ``mix``."""
        cash_pct = self.rng.uniform(0.5, 3.8)  # ends ≤ 4% after whole-share rounding
        sweep_pct = self.rng.uniform(0.5, 1.5) if self.rng.random() < 0.25 else 0.0
        account.cash = to_cents(Decimal(str(value * cash_pct / 100)))
        invested = value * (1 - (cash_pct + sweep_pct) / 100)
        targets = {"SWVXX": value * sweep_pct / 100} if sweep_pct else {}
        noisy = {slug: w * self.rng.uniform(0.96, 1.04) for slug, w in mix.items()}
        total = sum(noisy.values())
        for slug, weight in noisy.items():
            for symbol, share in self._funds(slug, account).items():
                targets[symbol] = targets.get(symbol, 0.0) + invested * weight / total * share
        for symbol, amount in targets.items():
            account.lots += self._lots(symbol, amount, account.fractional)

    def _funds(self, slug: str, account: AccountPlan) -> dict[str, float]:
        """Which securities fill a class in this account, as shares of the class."""
        if slug == "us-large-cap":
            return self._large_cap_funds(account)
        odds = CLASS_FUNDS[slug]
        first = self.rng.choices(list(odds), list(odds.values()))[0]
        if account.held_away or self.rng.random() < 0.7:
            return {first: 1.0}
        second = self.rng.choice([s for s in odds if s != first])
        split = self.rng.uniform(0.5, 0.8)
        return {first: split, second: 1 - split}

    def _large_cap_funds(self, account: AccountPlan) -> dict[str, float]:
        core = self.spec.large_cap_fund
        if account.held_away:
            return {core: 1.0}
        funds = {core: 1.0}
        if self.rng.random() < 0.35:
            funds = {core: 0.7, "QQQ": 0.3}
        taxable = TAX_STATUS[account.registration] == TaxStatus.TAXABLE
        if taxable and self.rng.random() < 0.65:  # concentrated mega-cap positions
            stocks = self.rng.sample(MEGA_CAPS, self.rng.randint(2, 5))
            stock_share = self.rng.uniform(0.2, 0.45)
            funds = {s: w * (1 - stock_share) for s, w in funds.items()}
            funds |= {s: stock_share / len(stocks) for s in stocks}
        return funds

    def _lots(self, symbol: str, amount: float, fractional: bool) -> list[LotPlan]:
        price = self.closes[symbol][VALUATION_DAY]
        quantity = Decimal(str(amount)) / price
        step = Decimal("0.001") if fractional else Decimal("1")
        quantity = quantity.quantize(step, rounding=ROUND_DOWN)
        if quantity <= 0:
            return []
        days = sorted(self.rng.sample(self.lot_days, self.rng.choice((1, 1, 2, 2, 3))))
        parts = self._split(quantity, len(days), step)
        return [self._lot(symbol, q, day) for q, day in zip(parts, days, strict=False)]

    def _split(self, quantity: Decimal, n: int, step: Decimal) -> list[Decimal]:
        n = min(n, int(quantity / step))
        cuts = sorted(self.rng.uniform(0.15, 0.85) for _ in range(n - 1))
        marks = [(quantity * Decimal(str(c))).quantize(step, rounding=ROUND_DOWN) for c in cuts]
        bounds = [Decimal(0), *marks, quantity]
        parts = [b - a for a, b in itertools.pairwise(bounds)]
        return [p for p in parts if p > 0]

    def _lot(self, symbol: str, quantity: Decimal, day: dt.date) -> LotPlan:
        unknown = self.rng.random() < UNKNOWN_BASIS_RATE
        basis = None if unknown else to_cents(quantity * self.closes[symbol][day])
        return LotPlan(symbol, quantity, day, basis)

    def _unassign_models(self, plans: list[HouseholdPlan]) -> None:
        """Leave a few accounts without a model, as happens with new or odd accounts."""
        candidates = [a for p in plans for a in p.accounts if not a.held_away]
        for account in self.rng.sample(candidates, self.spec.accounts_without_model):
            account.model = None


def _class_mix(weights: dict[str, Decimal], drifted: bool, rng: random.Random) -> dict[str, float]:
    """Invested weights per class (cash excluded), as fractions summing to 1.

    Drifted households carry ~22–36% too much large cap and only ~42–60% of their
    small-cap target (e.g. 55–61% vs 45%, 6–9% vs 15%); the rest sit near target.
    """
    mix = {slug: float(w) for slug, w in weights.items() if slug != "cash"}
    if drifted:
        large = mix["us-large-cap"] * rng.uniform(1.22, 1.36)
        small = mix["us-small-cap"] * rng.uniform(0.42, 0.60)
        surplus = large - mix["us-large-cap"] + small - mix["us-small-cap"]
        others = [s for s in mix if s not in ("us-large-cap", "us-small-cap")]
        others_total = sum(mix[s] for s in others)
        for slug in others:
            mix[slug] -= surplus * mix[slug] / others_total
        mix["us-large-cap"], mix["us-small-cap"] = large, small
    else:
        mix = {slug: w * rng.uniform(0.95, 1.05) for slug, w in mix.items()}
    total = sum(mix.values())
    return {slug: w / total for slug, w in mix.items()}
