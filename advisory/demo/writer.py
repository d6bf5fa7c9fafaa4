"""Writing the demo: create only what is missing, inside each firm's scope, audited once.

Idempotent by natural keys (firm slug, user email, household name, custodian + account
number): a second run creates nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

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
from portfolios.sample_data import (
    ensure_asset_classes,
    ensure_securities,
    load_sample_prices,
    read_sample_closes,
)

from .. import audit_actions as actions
from ..audit import record
from ..models import (
    Account,
    AccountOwner,
    Client,
    Firm,
    Household,
    HouseholdTeamMember,
    Membership,
    User,
)
from ..request_context import acting_as
from ..tenancy import firm_scope
from .disclosures import ensure_disclosures
from .planner import plan_firm
from .plans import AccountPlan, HouseholdPlan
from .proposals import DEMO_SELF_APPROVAL_BELOW
from .specs import (
    DEMO_PASSWORD,
    EQUIVALENTS,
    FIRMS,
    PREFERRED,
    TAX_STATUS,
    Closes,
    FirmSpec,
    ModelSpec,
)


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
        firm, new = Firm.objects.get_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "client_service_phone": spec.phone,
                "self_approval_below": DEMO_SELF_APPROVAL_BELOW,
            },
        )
        created["firms"] += new
        with firm_scope(firm):
            _create_missing(firm, spec, plans, classes, securities, created)
            created = +created  # drop zero counts
            if created:
                with acting_as(actor_label="seed_demo", role="system"):
                    record(firm=firm, action=actions.DEMO_SEEDED.code, changes=dict(created))
            return _firm_totals(spec, created)


def _create_missing(
    firm: Firm,
    spec: FirmSpec,
    plans: list[HouseholdPlan],
    classes: dict[str, AssetClass],
    securities: dict[str, Security],
    created: Counter[str],
) -> None:
    """Create the firm's missing people, models, households and lots, counting them."""
    members = _ensure_people(firm, spec, created)
    ensure_disclosures(firm, members, created)
    models = _ensure_models(firm, spec, classes, securities, created)
    lots: list[TaxLot] = []
    for plan in plans:
        lots += _ensure_household(firm, plan, members, models, securities, created)
    TaxLot.objects.bulk_create(lots, batch_size=1000)
    created["lots"] += len(lots)


def _firm_totals(spec: FirmSpec, created: Counter[str]) -> FirmTotals:
    """What the firm holds now (in its scope), and what this run created."""
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
    _ensure_clients(firm, household, plan, members, created)
    lots: list[TaxLot] = []
    for account_plan in plan.accounts:
        lots += _ensure_account(firm, household, account_plan, models, securities, created)
    _ensure_owners(firm, household, plan, created)
    return lots


# Registrations every client of the household owns together; the rest belong to one person.
SHARED_REGISTRATIONS = frozenset({"joint", "trust", "custodial", "corporate"})


def _ensure_owners(
    firm: Firm, household: Household, plan: HouseholdPlan, created: Counter[str]
) -> None:
    """Record who owns each account, unless the household has owners already: shared
    registrations belong to every client, the others to the clients in turn."""
    if AccountOwner.objects.filter(account__household=household).exists():
        return
    clients = list(Client.objects.filter(household=household).order_by("pk"))
    if not clients:
        return
    accounts = {a.account_number: a for a in Account.objects.filter(household=household)}
    owners = []
    for i, account_plan in enumerate(plan.accounts):
        account = accounts[account_plan.number]
        shared = account_plan.registration in SHARED_REGISTRATIONS
        for client in clients if shared else [clients[i % len(clients)]]:
            owners.append(AccountOwner(firm=firm, account=account, client=client))
    AccountOwner.objects.bulk_create(owners)
    created["account_owners"] += len(owners)


def _ensure_clients(
    firm: Firm,
    household: Household,
    plan: HouseholdPlan,
    members: dict[str, Membership],
    created: Counter[str],
) -> None:
    """Create the household's clients unless it already has some."""
    if Client.objects.filter(household=household).exists():
        return
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
