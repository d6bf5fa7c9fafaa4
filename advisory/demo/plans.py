"""The drawn demo, as plain data: households, their clients, accounts and lots.

Built by :mod:`advisory.demo.planner`, written by :mod:`advisory.demo.writer`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


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
