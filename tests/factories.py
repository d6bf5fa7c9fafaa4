"""Plain builders for test data. Callers are fixtures (scopes disabled) or
tests inside ``firm_scope``; every firm-owned row gets its firm explicitly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from advisory.models import (
    Account,
    Client,
    Firm,
    Household,
    HouseholdTeamMember,
    Membership,
    Role,
    User,
)
from portfolios.models import AssetClass, ModelPortfolio, Price, Security, Target, TaxLot

PASSWORD = "correct-horse-battery-staple"


def user(email: str, name: str = "") -> User:
    return User.objects.create_user(email, PASSWORD, full_name=name or email.split("@")[0])


def member(firm: Firm, email: str, role: str) -> Membership:
    return Membership.objects.create(firm=firm, user=user(email), role=role)


def asset_classes() -> dict[str, AssetClass]:
    equity = AssetClass.objects.create(name="Equity", slug="equity", sort_order=1)
    specs = [
        ("US large cap", "us-large-cap", equity, 2),
        ("US small cap", "us-small-cap", equity, 3),
        ("International", "international", equity, 4),
        ("Fixed income", "fixed-income", None, 5),
        ("Cash", "cash", None, 6),
    ]
    out = {"equity": equity}
    for name, slug, parent, order in specs:
        out[slug] = AssetClass.objects.create(
            name=name,
            slug=slug,
            parent=parent,
            sort_order=order,
            prefers_tax_deferred=slug == "fixed-income",
        )
    return out


def security(symbol: str, asset_class: AssetClass, kind: str = "etf") -> Security:
    return Security.objects.create(
        symbol=symbol, name=f"{symbol} fund", security_type=kind, asset_class=asset_class
    )


def price(sec: Security, close: str, on: dt.date, source: str = "test") -> Price:
    return Price.objects.create(security=sec, date=on, close=Decimal(close), source=source)


@dataclass
class FirmWorld:
    """One firm with a persona per role and a small book."""

    firm: Firm
    admin: Membership
    advisor: Membership
    other_advisor: Membership
    compliance: Membership
    client: Membership
    household: Household  # advisor's
    other_household: Household  # other_advisor's, advisor not on the team
    team_household: Household  # other_advisor's, advisor on the team
    account: Account
    other_account: Account
    model: ModelPortfolio
    target: Target
    lot: TaxLot
    client_person: Client


def firm_world(slug: str, label: str, classes: dict[str, AssetClass], sec: Security) -> FirmWorld:
    """Build a firm whose every name carries ``label`` so tests can look for leaks."""
    firm = Firm.objects.create(name=f"{label} Firm", slug=slug)
    domain = f"{slug}.example"
    admin = member(firm, f"admin@{domain}", Role.ADMIN)
    advisor = member(firm, f"advisor@{domain}", Role.ADVISOR)
    other_advisor = member(firm, f"other@{domain}", Role.ADVISOR)
    compliance = member(firm, f"compliance@{domain}", Role.COMPLIANCE)
    client = member(firm, f"client@{domain}", Role.CLIENT)
    model = ModelPortfolio.objects.create(firm=firm, name=f"{label} Growth Model")
    target = Target.objects.create(
        firm=firm, model=model, asset_class=classes["us-large-cap"], weight=Decimal("100")
    )
    household = Household.objects.create(
        firm=firm, name=f"{label} Household", primary_advisor=advisor, model=model
    )
    other = Household.objects.create(
        firm=firm, name=f"{label} Other Household", primary_advisor=other_advisor
    )
    team = Household.objects.create(
        firm=firm, name=f"{label} Team Household", primary_advisor=other_advisor
    )
    HouseholdTeamMember.objects.create(firm=firm, household=team, membership=advisor)
    person = Client.objects.create(
        firm=firm, household=household, first_name=label, last_name="Client", user=client.user
    )
    account = Account.objects.create(
        firm=firm,
        household=household,
        name=f"{label} Brokerage",
        registration="individual",
        tax_status="taxable",
        custodian="schwab",
        account_number=f"{slug.upper()}-1001",
        model=model,
        cash_balance=Decimal("1000.00"),
    )
    other_account = Account.objects.create(
        firm=firm,
        household=other,
        name=f"{label} Other IRA",
        registration="traditional_ira",
        tax_status="tax_deferred",
        custodian="fidelity",
        account_number=f"{slug.upper()}-1002",
        cash_balance=Decimal("50.00"),
    )
    lot = TaxLot.objects.create(
        firm=firm,
        account=account,
        security=sec,
        quantity=Decimal("10"),
        cost_basis=Decimal("4000.00"),
        acquired_on=dt.date(2024, 3, 1),
    )
    return FirmWorld(
        firm=firm,
        admin=admin,
        advisor=advisor,
        other_advisor=other_advisor,
        compliance=compliance,
        client=client,
        household=household,
        other_household=other,
        team_household=team,
        account=account,
        other_account=other_account,
        model=model,
        target=target,
        lot=lot,
        client_person=person,
    )


def two_class_desk(world: FirmWorld, classes: dict[str, AssetClass], as_of: dt.date) -> FirmWorld:
    """Make a world's household a drifted 60/40 large/small-cap book for proposals.

    VOO (its only holding) is preferred for large cap, IWM for small cap, and
    the other advisor joins the team as the second pair of eyes.
    """
    iwm = security("IWM", classes["us-small-cap"])
    price(iwm, "250.00", as_of)
    Target.objects.filter(pk=world.target.pk).update(
        weight=Decimal("60"), preferred_security=world.lot.security
    )
    Target.objects.create(
        firm=world.firm,
        model=world.model,
        asset_class=classes["us-small-cap"],
        weight=Decimal("40"),
        preferred_security=iwm,
    )
    HouseholdTeamMember.objects.create(
        firm=world.firm, household=world.household, membership=world.other_advisor
    )
    return world
