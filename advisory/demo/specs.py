"""What the demo builds: its people, models and firms, and the vocabulary the planner draws from.

Constants only (plus :func:`demo_logins`); nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from ..models import Registration, Role, TaxStatus

DEMO_PASSWORD = "ballast-demo-2025"  # noqa: S105  (published demo login, see README)
SEED = 20251205
VALUATION_DAY = dt.date(2025, 12, 31)
FIRST_LOT_DAY, LAST_LOT_DAY = dt.date(2024, 1, 2), dt.date(2025, 11, 28)
DRIFTED_SHARE = 0.7  # households drifted toward large caps; the rest sit near target
UNKNOWN_BASIS_RATE = 0.03  # lots transferred in without a cost basis
Closes = dict[str, dict[dt.date, Decimal]]


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
    phone: str = ""  # the firm's client-service line, shown in the portal


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
        phone="(617) 555-0142",
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
        phone="(303) 555-0187",
    ),
)

# --- What the planner draws from --------------------------------------------

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


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, firm name) of every demo login; all use :data:`DEMO_PASSWORD`."""
    return [(p.email, str(p.role), spec.name) for spec in FIRMS for p in spec.people]
