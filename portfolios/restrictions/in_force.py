"""The restrictions that apply to a household on a date, as the rebalance engine takes them.

Firm-wide and household restrictions go into ``Options.do_not_buy``/``do_not_sell``;
account ones into that account's ``AccountInput`` lists; each is also described by a
:class:`~portfolios.rebalance.types.RestrictionInfo` so the proposal's notes can name it.
Lifted and expired restrictions (``expires_on`` before the date) do not apply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from portfolios.models import Restriction
from portfolios.rebalance.types import RestrictionInfo, Side


def in_force(on: dt.date) -> QuerySet[Restriction]:
    """Every restriction of the active firm in force on ``on``."""
    return Restriction.objects.filter(lifted_at__isnull=True).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on)
    )


def for_household(household_id: int, on: dt.date) -> QuerySet[Restriction]:
    """Firm-wide ones, the household's own and those of its accounts, in force on ``on``."""
    return in_force(on).filter(
        Q(household__isnull=True, account__isnull=True)
        | Q(household_id=household_id)
        | Q(account__household_id=household_id)
    )


@dataclass
class Lists:
    """Restrictions read for one proposal, in the engine's terms."""

    do_not_buy: set[int] = field(default_factory=set)  # firm-wide and household
    do_not_sell: set[int] = field(default_factory=set)
    account_buy: dict[int, set[int]] = field(default_factory=dict)  # account id → ids
    account_sell: dict[int, set[int]] = field(default_factory=dict)
    infos: list[RestrictionInfo] = field(default_factory=list)


def read_lists(
    household_id: int, household_name: str, accounts: dict[int, str], on: dt.date
) -> Lists:
    """One query: the lists for the household and those of ``accounts`` (id → name)."""
    rows = for_household(household_id, on).values_list(
        "security_id", "side", "household_id", "account_id", "reason"
    )
    return lists_from_rows(rows, household_name, accounts)


def lists_from_rows(rows: Iterable[tuple], household_name: str, accounts: dict[int, str]) -> Lists:
    """The lists from (security, side, household, account, reason) rows in force for one
    household: firm-wide, the household's and its accounts' (``accounts``: id → name)."""
    lists = Lists()
    for security_id, db_side, hh_id, account_id, reason in sorted(rows, key=_key):
        side: Side = "buy" if db_side == "buy" else "sell"
        if account_id is not None:
            if account_id not in accounts:
                continue  # another account of the household: not in this proposal
            target = lists.account_buy if side == "buy" else lists.account_sell
            target.setdefault(account_id, set()).add(security_id)
            info = RestrictionInfo(
                security_id, side, "account", accounts[account_id], reason, account_id
            )
        else:
            (lists.do_not_buy if side == "buy" else lists.do_not_sell).add(security_id)
            scope, label = ("household", household_name) if hh_id else ("firm", "firm-wide")
            info = RestrictionInfo(security_id, side, scope, label, reason)
        lists.infos.append(info)
    return lists


def _key(row: tuple) -> tuple:
    security_id, side, hh_id, account_id, reason = row
    return (security_id, side, account_id or 0, hh_id or 0, reason)
