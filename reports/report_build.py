"""From the database to a :class:`~reports.report_data.ReportData`: what a household report
shows, gathered in the active firm scope.

Portfolio data is read only through :mod:`portfolios.queries` (the door); firm, advisor,
household and accounts come from advisory's models. Holdings are valued at the latest price
on or before the period's end; a stale price is shown and marked, and counts in the totals
at that price (the report says so). A holding with no price at all cannot be valued: it is
left out of the tables and totals and named under its account. Disclosures are the approved
versions the report type requires; a missing one raises
:class:`~reports.report_types.DisclosureMissing`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from advisory.models import Account, Firm, Household
from advisory.money import ZERO, to_cents
from portfolios import queries
from reports import report_data as rd
from reports.render import DEFAULT_BRAND
from reports.report_types import HOUSEHOLD_REPORT, required_versions

CASH_SYMBOL = "Cash"
WEIGHT_PLACES = Decimal("0.01")


def _weight(value: Decimal, total: Decimal) -> Decimal:
    if not total:
        return ZERO
    return (value * 100 / total).quantize(WEIGHT_PLACES)


def _account(account: Account, valuation: queries.AccountValuation, as_of: dt.date) -> rd.Account:
    priced = [(h, to_cents(h.market_value)) for h in valuation.holdings if h.price is not None]
    value = valuation.statement_value  # the sum of the rounded lines shown: the tables add up
    holdings = [
        rd.Holding(
            symbol=h.security.symbol,
            name=h.security.name,
            quantity=h.quantity,
            price=h.price.close,
            price_date=h.price.date,
            price_source=h.price.source,
            value=line_value,
            weight=_weight(line_value, value),
            stale=h.stale,
        )
        for h, line_value in priced
    ]
    if valuation.cash:
        holdings.append(
            rd.Holding(
                symbol=CASH_SYMBOL,
                name="Cash balance",
                quantity=to_cents(valuation.cash),
                price=Decimal("1.00"),
                price_date=as_of,
                price_source=f"{account.get_custodian_display()} account balance",
                value=to_cents(valuation.cash),
                weight=_weight(valuation.cash, value),
            )
        )
    return rd.Account(
        name=account.name,
        masked_number=account.masked_number,
        registration=account.get_registration_display(),
        value=value,
        holdings=tuple(holdings),
        unpriced=tuple(sorted(h.security.symbol for h in valuation.holdings if h.price is None)),
    )


def build_household_report(
    *, household: Household, period_start: dt.date, period_end: dt.date
) -> rd.ReportData:
    """Everything the household report shows for the period, as plain data.

    Runs in the active firm scope (``household`` must belong to it). Raises
    ``DisclosureMissing`` before reading anything else when a required disclosure has no
    approved version.
    """
    if period_end < period_start:
        raise ValueError("The period ends before it starts.")
    versions = required_versions(HOUSEHOLD_REPORT)
    household = Household.objects.select_related("primary_advisor__user").get(pk=household.pk)
    firm = Firm.objects.get(pk=household.firm_id)
    accounts = list(Account.objects.filter(household=household).order_by("name", "pk"))
    as_of = queries.pricing_date(today=period_end) or period_end
    valuations = queries.value_accounts(accounts, as_of)
    report_accounts = tuple(_account(a, valuations[a.pk], as_of) for a in accounts)
    value_end = sum((a.value for a in report_accounts), ZERO)
    sources = sorted(
        {h.price.source for v in valuations.values() for h in v.holdings if h.price is not None}
    )
    start = queries.household_value_on_or_before(household.pk, period_start)
    history = queries.household_value_history(household.pk, period_start, period_end)
    if start is not None and start[0] < period_start:
        history.insert(0, start)
    allocation = queries.household_allocation(
        household.pk, household.model_id, period_end, valuations.values()
    )
    trades = queries.household_trades(household.pk, period_start, period_end)
    advisor = household.primary_advisor.user
    return rd.ReportData(
        firm=rd.Firm(name=firm.name, brand_colour=DEFAULT_BRAND),
        household=household.name,
        advisor_name=advisor.full_name or advisor.email,
        advisor_email=advisor.email,
        period_start=period_start,
        period_end=period_end,
        as_of=as_of,
        price_source=", ".join(sources) if sources else "no prices",
        totals=rd.Totals(
            value_end=value_end,
            value_start=start[1] if start else None,
            value_start_on=start[0] if start else None,
        ),
        accounts=report_accounts,
        allocation=tuple(
            rd.AllocationRow(
                line.label,
                line.weight.quantize(WEIGHT_PLACES) if line.weight is not None else None,
                line.target,
            )
            for line in allocation
        ),
        history=tuple(rd.ValuePoint(day, value) for day, value in history),
        trades=tuple(
            rd.Trade(t.date, t.side, t.symbol, t.quantity, t.value, t.account_masked)
            for t in trades
        ),
        disclosures=tuple(
            rd.Disclosure(
                key=v.disclosure.key,
                title=v.disclosure.title,
                version_id=v.pk,
                version_number=v.number,
                text=v.text,
            )
            for v in versions
        ),
    )
