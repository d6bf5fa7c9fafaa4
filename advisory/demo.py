"""The demo data set: two firms with people, households, accounts, models and lots.

Deterministic (fixed seeds) and idempotent (natural keys: firm slug, user email,
household name, custodian + account number): a second run creates nothing.
Everything is planned in memory first, so the random draws never depend on
what the database already holds, and then written inside each firm's scope.

Holdings are sized at the 2025-12-31 sample closes so that most households show
the drift the seed articles describe: too much US large cap, too little small cap.
Prices are the SYNTHETIC sample prices (``portfolios/data/sample``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from portfolios.models import (
    AssetClass,
    ModelPortfolio,
    Price,
    Security,
    Target,
    TargetEquivalent,
    TaxLot,
    validate_target_weights,
)
from portfolios.money import to_cents
from portfolios.sample_data import (
    ensure_asset_classes,
    ensure_securities,
    load_sample_prices,
    read_sample_closes,
)

from .audit import record
from .models import (
    Account,
    Client,
    Firm,
    Household,
    HouseholdTeamMember,
    Membership,
    Registration,
    Role,
    TaxStatus,
    User,
)
from .request_context import acting_as
from .tenancy import firm_scope

DEMO_PASSWORD = "ballast-demo-2025"  # noqa: S105  (published demo login, see README)
SEED = 20251205
VALUATION_DAY = dt.date(2025, 12, 31)
FIRST_LOT_DAY, LAST_LOT_DAY = dt.date(2024, 1, 2), dt.date(2025, 11, 28)
DRIFTED_SHARE = 0.7  # households drifted toward large caps; the rest sit near target
UNKNOWN_BASIS_RATE = 0.03  # lots transferred in without a cost basis
Closes = dict[str, dict[dt.date, Decimal]]


# --- What to build -----------------------------------------------------------


@dataclass(frozen=True)
class Person:
    email: str
    full_name: str
    role: str


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    weights: dict[str, Decimal]  # asset-class slug -> percent


@dataclass(frozen=True)
class FirmSpec:
    slug: str
    name: str
    people: tuple[Person, ...]
    book: tuple[tuple[str, int], ...]  # advisor email, number of households
    portal_client: str  # linked to the first client of the first advisor's first household
    families: tuple[str, ...]
    models: tuple[ModelSpec, ...]
    model_odds: tuple[int, ...]  # relative odds of each model per household
    large_cap_fund: str  # the firm's preferred S&P 500 fund
    custodians: dict[str, int]  # custodian -> relative odds
    accounts_without_model: int


def _weights(*pairs: tuple[str, str]) -> dict[str, Decimal]:
    return {slug: Decimal(w) for slug, w in pairs}


GROWTH = ModelSpec(
    "Growth 80/20",
    "80% equity / 20% fixed income and cash, for long horizons.",
    _weights(
        ("us-large-cap", "45"),
        ("us-small-cap", "15"),
        ("international", "20"),
        ("fixed-income", "17"),
        ("cash", "3"),
    ),
)
BALANCED = ModelSpec(
    "Balanced 60/40",
    "60% equity / 40% fixed income and cash.",
    _weights(
        ("us-large-cap", "35"),
        ("us-small-cap", "10"),
        ("international", "15"),
        ("fixed-income", "37"),
        ("cash", "3"),
    ),
)
CONSERVATIVE = ModelSpec(
    "Conservative 40/60",
    "40% equity / 60% fixed income and cash, for income and lower volatility.",
    _weights(
        ("us-large-cap", "24"),
        ("us-small-cap", "6"),
        ("international", "10"),
        ("fixed-income", "57"),
        ("cash", "3"),
    ),
)

# Unique per firm; each firm's portal client's family comes first.
HARBOR_POINT_FAMILIES = (
    "Alvarez", "Chen", "Okafor", "Patel", "Nguyen", "Sullivan", "Kowalski", "Haddad",
    "Lindqvist", "Tanaka", "Brennan", "Morales", "Abernathy", "Delacroix", "Fitzgerald",
    "Gallagher", "Hoffman", "Iverson", "Kapoor", "Larsen", "Mensah", "Novak", "Pham", "Quinn",
    "Rossi", "Schneider", "Thornton", "Vasquez", "Yamamoto", "Zielinski", "Castellano", "Donovan",
)  # fmt: skip
SUMMIT_RIDGE_FAMILIES = (
    "Whitfield", "Eriksen", "Ferreira", "Goldberg", "Harrington", "Ibarra", "Kimura", "Lombardi",
    "Mercer", "Nakamura", "O'Brien", "Petrov",
)  # fmt: skip

FIRMS: tuple[FirmSpec, ...] = (
    FirmSpec(
        slug="harbor-point",
        name="Harbor Point Wealth",
        people=(
            Person("admin@harborpoint.example", "Olivia Bennett", Role.ADMIN),
            Person("advisor@harborpoint.example", "Daniel Reyes", Role.ADVISOR),
            Person("advisor2@harborpoint.example", "Priya Natarajan", Role.ADVISOR),
            Person("advisor3@harborpoint.example", "Thomas O'Connell", Role.ADVISOR),
            Person("compliance@harborpoint.example", "Rebecca Stein", Role.COMPLIANCE),
            Person("client@harborpoint.example", "Elena Alvarez", Role.CLIENT),
        ),
        book=(
            ("advisor@harborpoint.example", 14),
            ("advisor2@harborpoint.example", 10),
            ("advisor3@harborpoint.example", 8),
        ),
        portal_client="client@harborpoint.example",
        families=HARBOR_POINT_FAMILIES,
        models=(GROWTH, BALANCED, CONSERVATIVE),
        model_odds=(50, 35, 15),
        large_cap_fund="VOO",
        custodians={"schwab": 45, "fidelity": 25, "pershing": 15, "altruist": 15},
        accounts_without_model=2,
    ),
    FirmSpec(
        slug="summit-ridge",
        name="Summit Ridge Advisors",
        people=(
            Person("admin@summitridge.example", "Grace Holloway", Role.ADMIN),
            Person("advisor@summitridge.example", "Samuel Ortiz", Role.ADVISOR),
            Person("compliance@summitridge.example", "Nathan Brooks", Role.COMPLIANCE),
            Person("client@summitridge.example", "Marcus Whitfield", Role.CLIENT),
        ),
        book=(("advisor@summitridge.example", 12),),
        portal_client="client@summitridge.example",
        families=SUMMIT_RIDGE_FAMILIES,
        models=(GROWTH, BALANCED),
        model_odds=(60, 40),
        large_cap_fund="SPY",
        custodians={"fidelity": 50, "altruist": 30, "schwab": 20},
        accounts_without_model=1,
    ),
)

FIRST_NAMES = (
    ("Maria", "Sarah", "Aisha", "Mei", "Hannah", "Olivia", "Sofia", "Grace", "Laura", "Naomi",
     "Claire", "Ingrid", "Yuki", "Amara", "Rachel", "Julia", "Nadia", "Teresa", "Leah", "Rosa"),
    ("David", "James", "Michael", "Wei", "Rahul", "Samuel", "Kwame", "Lars", "Kenji", "Luis",
     "Patrick", "Thomas", "Omar", "Andrew", "Mateo", "Henrik", "Joseph", "Victor", "Ethan", "Ian"),
)  # fmt: skip
EMPLOYERS = ("Northwind Logistics", "Contoso Health", "Fabrikam Inc.", "Tailspin Aerospace")

TAX_STATUS = {
    Registration.INDIVIDUAL: TaxStatus.TAXABLE,
    Registration.JOINT: TaxStatus.TAXABLE,
    Registration.TRUST: TaxStatus.TAXABLE,
    Registration.TRADITIONAL_IRA: TaxStatus.TAX_DEFERRED,
    Registration.ROLLOVER_IRA: TaxStatus.TAX_DEFERRED,
    Registration.SEP_IRA: TaxStatus.TAX_DEFERRED,
    Registration.PLAN_401K: TaxStatus.TAX_DEFERRED,
    Registration.PLAN_403B: TaxStatus.TAX_DEFERRED,
    Registration.ROTH_IRA: TaxStatus.TAX_EXEMPT,
}
ACCOUNT_LABEL = {
    Registration.INDIVIDUAL: "Individual",
    Registration.TRADITIONAL_IRA: "Traditional IRA",
    Registration.ROLLOVER_IRA: "Rollover IRA",
    Registration.SEP_IRA: "SEP IRA",
    Registration.ROTH_IRA: "Roth IRA",
    Registration.PLAN_403B: "403(b)",
}
NUMBER_DIGITS = {"schwab": 8, "fidelity": 9, "pershing": 8, "altruist": 10, "other": 10}

# Per class: preferred fund (None = the firm's S&P 500 fund) and its equivalents.
PREFERRED = {
    "us-large-cap": None,
    "us-small-cap": "IWM",
    "international": "VXUS",
    "fixed-income": "BND",
    "cash": "SWVXX",
}
EQUIVALENTS = {
    "us-large-cap": ("SPY", "VOO", "IVV"),
    "us-small-cap": ("VB", "IJR", "VBR"),
    "international": ("VEA", "IEFA"),
    "fixed-income": ("AGG",),
}
# Funds an account may hold per class, with relative odds.
CLASS_FUNDS = {
    "us-small-cap": {"IWM": 55, "VB": 20, "IJR": 15, "VBR": 10},
    "international": {"VXUS": 60, "VEA": 25, "IEFA": 15},
    "fixed-income": {"BND": 60, "AGG": 25, "VGIT": 15},
}
MEGA_CAPS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META")


# --- The plan (pure: depends only on the seed and the sample closes) ---------


@dataclass(frozen=True)
class LotPlan:
    symbol: str
    quantity: Decimal
    acquired_on: dt.date
    cost_basis: Decimal | None


@dataclass
class AccountPlan:
    name: str
    registration: str
    custodian: str
    number: str
    held_away: bool
    fractional: bool
    model: str | None
    cash: Decimal = Decimal("0.00")
    lots: list[LotPlan] = field(default_factory=list)


@dataclass(frozen=True)
class ClientPlan:
    first: str
    last: str
    login: str | None = None  # email of the portal user linked to this client

    @property
    def email(self) -> str:
        local = "".join(c for c in f"{self.first}.{self.last}".lower() if c.isalnum() or c == ".")
        return f"{local}@example.net"


@dataclass
class HouseholdPlan:
    name: str
    advisor: str
    team: str | None
    model: str
    drifted: bool
    clients: list[ClientPlan]
    accounts: list[AccountPlan] = field(default_factory=list)


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


def plan_firm(spec: FirmSpec, closes: Closes) -> list[HouseholdPlan]:
    """The households of one firm, exactly the same on every run."""
    return _Planner(spec, closes).households()


# --- Writing it (idempotent) -------------------------------------------------


@dataclass(frozen=True)
class FirmTotals:
    slug: str
    name: str
    created: dict[str, int]
    households: int
    clients: int
    accounts: int
    lots: int


@dataclass(frozen=True)
class DemoReport:
    firms: list[FirmTotals]
    prices: int
    prices_created: int

    @property
    def created_anything(self) -> bool:
        return self.prices_created > 0 or any(f.created for f in self.firms)


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, firm name) of every demo login; all use :data:`DEMO_PASSWORD`."""
    return [(p.email, str(p.role), spec.name) for spec in FIRMS for p in spec.people]


def seed_demo() -> DemoReport:
    """Load the reference data and both demo firms; create only what is missing."""
    classes = ensure_asset_classes()
    securities = ensure_securities()
    prices_created = load_sample_prices()
    closes = read_sample_closes()
    firms = [seed_firm(spec, classes, securities, closes) for spec in FIRMS]
    return DemoReport(firms, Price.objects.count(), prices_created)


def seed_firm(
    spec: FirmSpec,
    classes: dict[str, AssetClass],
    securities: dict[str, Security],
    closes: Closes,
) -> FirmTotals:
    """Create one firm's missing demo data in one transaction, audited once."""
    plans = plan_firm(spec, closes)
    created: Counter[str] = Counter()
    with transaction.atomic():
        firm, new = Firm.objects.get_or_create(slug=spec.slug, defaults={"name": spec.name})
        created["firms"] += new
        with firm_scope(firm):
            members = _ensure_people(firm, spec, created)
            models = _ensure_models(firm, spec, classes, securities, created)
            lots: list[TaxLot] = []
            for plan in plans:
                lots += _ensure_household(firm, plan, members, models, securities, created)
            TaxLot.objects.bulk_create(lots, batch_size=1000)
            created["lots"] += len(lots)
            created = +created  # drop zero counts
            if created:
                with acting_as(actor_label="seed_demo", role="system"):
                    record(firm=firm, action="demo.seeded", changes=dict(created))
            return FirmTotals(
                slug=spec.slug,
                name=spec.name,
                created=dict(created),
                households=Household.objects.count(),
                clients=Client.objects.count(),
                accounts=Account.objects.count(),
                lots=TaxLot.objects.count(),
            )


def _ensure_people(firm: Firm, spec: FirmSpec, created: Counter[str]) -> dict[str, Membership]:
    members = {}
    for person in spec.people:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(person.email, DEMO_PASSWORD, full_name=person.full_name)
            created["users"] += 1
        members[person.email], new = Membership.objects.get_or_create(
            firm=firm, user=user, defaults={"role": person.role}
        )
        created["memberships"] += new
    return members


def _ensure_models(
    firm: Firm,
    spec: FirmSpec,
    classes: dict[str, AssetClass],
    securities: dict[str, Security],
    created: Counter[str],
) -> dict[str, ModelPortfolio]:
    models = {}
    for model_spec in spec.models:
        validate_target_weights(list(model_spec.weights.values()))
        model, new = ModelPortfolio.objects.get_or_create(
            firm=firm, name=model_spec.name, defaults={"description": model_spec.description}
        )
        if new:
            _create_targets(firm, model, model_spec, spec, classes, securities)
            created["models"] += 1
        models[model.name] = model
    return models


def _create_targets(
    firm: Firm,
    model: ModelPortfolio,
    model_spec: ModelSpec,
    spec: FirmSpec,
    classes: dict[str, AssetClass],
    securities: dict[str, Security],
) -> None:
    for slug, weight in model_spec.weights.items():
        preferred = PREFERRED[slug] or spec.large_cap_fund
        target = Target.objects.create(
            firm=firm,
            model=model,
            asset_class=classes[slug],
            weight=weight,
            abs_band=Decimal("2") if slug == "cash" else Decimal("5"),
            rel_band=Decimal("25"),
            preferred_security=securities[preferred],
        )
        TargetEquivalent.objects.bulk_create(
            TargetEquivalent(firm=firm, target=target, security=securities[symbol])
            for symbol in EQUIVALENTS.get(slug, ())
            if symbol != preferred
        )


def _ensure_household(
    firm: Firm,
    plan: HouseholdPlan,
    members: dict[str, Membership],
    models: dict[str, ModelPortfolio],
    securities: dict[str, Security],
    created: Counter[str],
) -> list[TaxLot]:
    """Create the household, its team, clients and accounts if missing; return new lots."""
    household, new = Household.objects.get_or_create(
        firm=firm,
        name=plan.name,
        defaults={"primary_advisor": members[plan.advisor], "model": models[plan.model]},
    )
    created["households"] += new
    if plan.team:
        _, new = HouseholdTeamMember.objects.get_or_create(
            firm=firm, household=household, membership=members[plan.team]
        )
        created["team_members"] += new
    if not Client.objects.filter(household=household).exists():
        Client.objects.bulk_create(
            Client(
                firm=firm,
                household=household,
                first_name=c.first,
                last_name=c.last,
                email=c.email,
                user=members[c.login].user if c.login else None,
            )
            for c in plan.clients
        )
        created["clients"] += len(plan.clients)
    lots: list[TaxLot] = []
    for account_plan in plan.accounts:
        lots += _ensure_account(firm, household, account_plan, models, securities, created)
    return lots


def _ensure_account(
    firm: Firm,
    household: Household,
    plan: AccountPlan,
    models: dict[str, ModelPortfolio],
    securities: dict[str, Security],
    created: Counter[str],
) -> list[TaxLot]:
    account, new = Account.objects.get_or_create(
        firm=firm,
        custodian=plan.custodian,
        account_number=plan.number,
        defaults={
            "household": household,
            "name": plan.name,
            "registration": plan.registration,
            "tax_status": TAX_STATUS[plan.registration],
            "model": models[plan.model] if plan.model else None,
            "cash_balance": plan.cash,
            "fractional_allowed": plan.fractional,
            "held_away": plan.held_away,
        },
    )
    created["accounts"] += new
    if not new and account.lots.exists():
        return []  # lots only for accounts that have none
    return [
        TaxLot(
            firm=firm,
            account=account,
            security=securities[lot.symbol],
            quantity=lot.quantity,
            cost_basis=lot.cost_basis,
            acquired_on=lot.acquired_on,
        )
        for lot in plan.lots
    ]
