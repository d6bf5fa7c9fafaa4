"""What the portal's overview shows a client: the value of the accounts they may see, its
change over a period, their mix against the household's target, and whom to call.

Reads portfolio data through :mod:`portfolios.queries` only. Values are the accounts' worth
at the latest prices, counted as the report PDF counts them (``statement_value``: lines
rounded to cents, a holding with an old price included and marked); the change compares
them with the stored values at the period's start, so it includes money added or taken out
(the page says so: it is not a performance figure).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from portfolios import queries as portfolio
from portfolios.charts import MixBar

from ..models import Account, Household
from .periods import Period

CENT = Decimal("0.01")
LOOK_BACK_DAYS = 31  # how far before a period's start a stored value may come from


@dataclass(frozen=True)
class AccountLine:
    id: int
    name: str
    registration: str
    masked_number: str
    custodian: str
    value: Decimal
    incomplete: bool  # some holding has no price at all: the value leaves it out


@dataclass(frozen=True)
class Change:
    since: dt.date  # the day the starting value is from
    start_value: Decimal
    amount: Decimal
    percent: Decimal | None  # None when the starting value is zero


@dataclass(frozen=True)
class Contact:
    advisor_name: str
    advisor_email: str
    firm_name: str
    phone: str


@dataclass(frozen=True)
class Overview:
    household: str
    as_of: dt.date | None
    total: Decimal
    accounts: list[AccountLine]
    change: Change | None
    history: list[tuple[dt.date, Decimal]]
    mix: list[MixBar]
    has_target: bool
    contact: Contact


def account_lines(accounts: list[Account], valuations: dict) -> list[AccountLine]:
    lines = []
    for account in accounts:
        valuation = valuations[account.pk]
        lines.append(
            AccountLine(
                id=account.pk,
                name=account.name,
                registration=account.get_registration_display(),
                masked_number=account.masked_number,
                custodian=account.get_custodian_display(),
                value=valuation.statement_value,
                incomplete=any(h.price is None for h in valuation.holdings),
            )
        )
    return lines


def change_over(
    history: list[tuple[dt.date, Decimal]], start: dt.date, total: Decimal
) -> Change | None:
    """The change from the stored value at ``start`` (the last on or before it, else the
    first after it) to ``total``; None without any stored value."""
    before = [point for point in history if point[0] <= start]
    since, start_value = before[-1] if before else (history[0] if history else (None, None))
    if since is None or start_value is None:
        return None
    amount = total - start_value
    percent = (amount / start_value * 100).quantize(CENT) if start_value else None
    return Change(since=since, start_value=start_value, amount=amount, percent=percent)


def contact_for(household: Household) -> Contact:
    advisor = household.primary_advisor.user
    firm = household.firm
    return Contact(
        advisor_name=advisor.full_name or advisor.email,
        advisor_email=advisor.email,
        firm_name=firm.name,
        phone=firm.client_service_phone,
    )


def overview(household: Household, accounts: list[Account], period: Period) -> Overview:
    """The overview of ``accounts`` (those of ``household`` the client may see)."""
    as_of = portfolio.pricing_date()
    valuations = portfolio.value_accounts(accounts, as_of)
    total = sum((v.statement_value for v in valuations.values()), Decimal(0))
    history: list[tuple[dt.date, Decimal]] = []
    change = None
    if as_of is not None:
        start = period.start(as_of)
        stored = portfolio.accounts_value_history(
            [a.pk for a in accounts], start - dt.timedelta(days=LOOK_BACK_DAYS), as_of
        )
        change = change_over(stored, start, total)
        history = [p for p in stored if change is not None and p[0] >= change.since]
        if history and history[-1][0] < as_of:
            history.append((as_of, total))
    lines = portfolio.mix_against_model(household.model_id, valuations.values())
    return Overview(
        household=household.name,
        as_of=as_of,
        total=total,
        accounts=account_lines(accounts, valuations),
        change=change,
        history=history,
        mix=[MixBar(line.label, line.weight, line.target) for line in lines],
        has_target=household.model_id is not None,
        contact=contact_for(household),
    )
