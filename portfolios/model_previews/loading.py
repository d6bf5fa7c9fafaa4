"""Reading a chunk of households into engine inputs, in a fixed number of queries.

The same rows :func:`portfolios.proposals.inputs.build_input` reads for one household,
read for many at once (households, accounts, lots, securities, prices, cash class, recent
fills, restrictions: eight queries whatever the chunk's size) and assembled per household
by the same :func:`~portfolios.proposals.inputs.assemble_input`, so each household's input
is the one a single proposal would get.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q

from advisory.models import Account, Household
from portfolios.models import Fill, TaxLot
from portfolios.proposals.inputs import (
    ModelTargets,
    ProposalInputError,
    assemble_input,
    priced_securities,
    read_cash_class_id,
    read_security_rows,
    recent_trades_of,
    security_needs,
)
from portfolios.rebalance.types import Options, ProposalInput
from portfolios.restrictions.in_force import in_force, lists_from_rows
from portfolios.valuation import latest_prices

ACCOUNT_FIELDS = (
    "pk",
    "household_id",
    "name",
    "tax_status",
    "cash_balance",
    "fractional_allowed",
    "held_away",
)


@dataclass(frozen=True)
class Loaded:
    """One household of the chunk: its input, or why it cannot have one."""

    household_id: int
    name: str
    advisor_id: int | None
    data: ProposalInput | None
    error: str = ""


def load_chunk(
    firm_id: int, household_ids: list[int], options: Options, model: ModelTargets
) -> Iterator[Loaded]:
    """Inputs for ``household_ids`` (in the active firm scope), in id order."""
    options = dataclasses.replace(options, stale_days=settings.BALLAST_PRICE_STALE_DAYS)
    as_of = options.as_of
    targets, equivalents = model
    households = list(
        Household.objects.filter(pk__in=household_ids)
        .order_by("pk")
        .values_list("pk", "name", "primary_advisor_id")
    )
    accounts = _accounts_by_household(household_ids)
    lots = _lots_by_household(household_ids)
    all_lots = [lot for rows in lots.values() for lot in rows]
    required, optional = security_needs(all_lots, targets, equivalents)
    known = read_security_rows(required | optional)
    prices = latest_prices(required | optional, as_of, firm_id)
    cash_class_id = read_cash_class_id()
    since = as_of - dt.timedelta(days=options.wash_sale_days)
    fills = _fills_by_household(household_ids, since)
    firm_wide, restricted = _restrictions_by_household(household_ids, as_of)
    infos: dict = {}  # one SecurityInfo per security for the whole chunk
    for hh_id, name, advisor_id in households:
        hh_accounts, hh_lots = accounts.get(hh_id, []), lots.get(hh_id, [])
        try:
            need, may = security_needs(hh_lots, targets, equivalents)
            securities = priced_securities(need, may, known, prices, as_of, infos)
        except ProposalInputError as exc:
            yield Loaded(hh_id, name, advisor_id, None, str(exc))
            continue
        lists = lists_from_rows(
            [*firm_wide, *restricted.get(hh_id, [])],
            name,
            {a.pk: a.name for a in hh_accounts},
        )
        data = assemble_input(
            scope="household",
            accounts=hh_accounts,
            lots=hh_lots,
            targets=targets,
            equivalents=equivalents,
            securities=securities,
            cash_class_id=cash_class_id,
            options=options,
            recent=recent_trades_of(fills.get(hh_id, [])),
            lists=lists,
        )
        yield Loaded(hh_id, name, advisor_id, data)


class AccountRow(NamedTuple):
    """The account fields an engine input takes (what ``_account_input`` reads)."""

    pk: int
    household_id: int
    name: str
    tax_status: str
    cash_balance: Decimal
    fractional_allowed: bool
    held_away: bool


def _accounts_by_household(household_ids: list[int]) -> dict[int, list[AccountRow]]:
    out: dict[int, list[AccountRow]] = defaultdict(list)
    rows = Account.objects.filter(household_id__in=household_ids).order_by("pk")
    for row in rows.values_list(*ACCOUNT_FIELDS):
        out[row[1]].append(AccountRow(*row))
    return out


def _lots_by_household(household_ids: list[int]) -> dict[int, list[tuple]]:
    """Open lots per household, each (pk, account, security, quantity, basis, acquired on),
    in the order a single proposal reads them."""
    out: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        TaxLot.objects.filter(account__household_id__in=household_ids, quantity__gt=0)
        .order_by("account_id", "security_id", "acquired_on", "pk")
        .values_list(
            "account__household_id",
            "pk",
            "account_id",
            "security_id",
            "quantity",
            "cost_basis",
            "acquired_on",
        )
    )
    for row in rows:
        out[row[0]].append(row[1:])
    return out


def _fills_by_household(household_ids: list[int], since: dt.date) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = defaultdict(list)
    rows = Fill.objects.filter(
        account__household_id__in=household_ids, trade_date__gte=since
    ).values_list(
        "account__household_id", "account_id", "security_id", "side", "trade_date", "lots"
    )
    for hh_id, *fill in rows:
        out[hh_id].append(tuple(fill))
    return out


def _restrictions_by_household(
    household_ids: list[int], on: dt.date
) -> tuple[list[tuple], dict[int, list[tuple]]]:
    """Restriction rows in force: the firm-wide ones, and per household id its own and its
    accounts' (security, side, household, account, reason), as ``read_lists`` reads them."""
    rows = (
        in_force(on)
        .filter(
            Q(household__isnull=True, account__isnull=True)
            | Q(household_id__in=household_ids)
            | Q(account__household_id__in=household_ids)
        )
        .values_list(
            "security_id", "side", "household_id", "account_id", "reason", "account__household_id"
        )
    )
    firm_wide: list[tuple] = []
    by_household: dict[int, list[tuple]] = defaultdict(list)
    for security_id, side, hh_id, account_id, reason, account_hh in rows:
        owner = account_hh if account_id is not None else hh_id
        row = (security_id, side, hh_id, account_id, reason)
        (firm_wide if owner is None else by_household[owner]).append(row)
    return firm_wide, by_household
