"""What a proposal is computed from: the engine's input read from the database.

:func:`build_input` reads a household (or one of its accounts) into a
:class:`~portfolios.rebalance.types.ProposalInput` in a fixed number of
queries, whatever the number of accounts, lots or targets. The fingerprint
is the SHA-256 of what the trades depend on (lots, cash, prices, and the
restrictions in force): a proposal whose fingerprint no longer matches the
database is *stale*, so adding or lifting a restriction makes it stale.

A proposal is meant for trading now, so its data is re-read "as of" the
later of its own as-of date and today's pricing date: a price that arrives
after the proposal was built makes it stale, even when it is dated later.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings

from advisory.audit import canonical_json
from advisory.models import Account, Firm, Household
from advisory.tenancy import firm_scope
from portfolios.models import AssetClass, Fill, Security, Target, TaxLot
from portfolios.models import TargetEquivalent as Equivalent
from portfolios.proposals.arithmetic import plain
from portfolios.rebalance.types import (
    AccountInput,
    Lot,
    Options,
    ProposalInput,
    RecentTrade,
    SecurityInfo,
    TargetInput,
)
from portfolios.restrictions.in_force import Lists, read_lists
from portfolios.valuation import latest_prices, pricing_date

if TYPE_CHECKING:
    from portfolios.models import Proposal

CASH_CLASS_SLUG = "cash"
_DECIMAL_OPTIONS = ("raise_amount", "cash_reserve_amount", "cash_reserve_pct", "min_trade_value")
_SET_OPTIONS = ("do_not_buy", "do_not_sell")


class ProposalInputError(ValueError):
    """The data cannot make a proposal (no model, no price, …); the message says why."""


def _pk(obj: Any) -> int:
    return obj if isinstance(obj, int) else obj.pk


# --- Options as JSON ----------------------------------------------------------


def options_to_json(options: Options) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Options):
        value = getattr(options, f.name)
        if f.name in _DECIMAL_OPTIONS:
            value = str(value)
        elif f.name in _SET_OPTIONS:
            value = sorted(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[f.name] = value
    return out


def options_from_json(data: Mapping[str, Any]) -> Options:
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(Options):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _DECIMAL_OPTIONS:
            value = Decimal(value)
        elif f.name in _SET_OPTIONS:
            value = frozenset(int(v) for v in value)
        elif f.name == "as_of":
            value = dt.date.fromisoformat(value)
        kwargs[f.name] = value
    return Options(**kwargs)


# --- Reading the input -------------------------------------------------------------------


def build_input(
    *,
    firm: Firm | int,
    household: Household | int,
    account: Account | int | None = None,
    options: Options,
    extra_security_ids: Iterable[int] = (),
    model: ModelTargets | None = None,
) -> tuple[ProposalInput, str]:
    """The engine input for a household (or one account) and its fingerprint.

    Ten queries: household, accounts, targets, equivalents, lots, securities,
    prices, cash class, recent executed trades, restrictions in force on the
    as-of date (firm-wide and household ones merged into ``options``' lists,
    account ones into the account's; each described in ``restrictions`` for
    the notes). ``extra_security_ids`` adds
    securities beyond those held or named by the model (e.g. ones a person
    added trades for); they are left out when they have no price. A held or
    targeted security without a price is an error: nothing is valued at zero.
    ``model`` replaces the targets the household follows (a draft version's, for
    a model-change preview: :mod:`portfolios.model_previews`).
    """
    # The firm-wide staleness rule, the same one drift uses; stored with the options.
    options = dataclasses.replace(options, stale_days=settings.BALLAST_PRICE_STALE_DAYS)
    firm_id, as_of = _pk(firm), options.as_of
    with firm_scope(firm_id):
        hh, accounts, model_id = _read_scope(household, account)
        targets, equivalents = model if model is not None else _read_model(model_id)
        lots = _read_lots(accounts)
        required, optional = security_needs(lots, targets, equivalents)
        securities = _read_securities(required, optional | set(extra_security_ids), as_of, firm_id)
        cash_class_id = read_cash_class_id()
        recent = _recent_trades(hh.pk, as_of - dt.timedelta(days=options.wash_sale_days))
        lists = read_lists(hh.pk, hh.name, {a.pk: a.name for a in accounts}, as_of)
    data = assemble_input(
        scope="account" if account is not None else "household",
        accounts=accounts,
        lots=lots,
        targets=targets,
        equivalents=equivalents,
        securities=securities,
        cash_class_id=cash_class_id,
        options=options,
        recent=recent,
        lists=lists,
    )
    return data, fingerprint(data)


# A model's targets (weight descending, then id) and the equivalent security ids per target id.
ModelTargets = tuple[list[Target], dict[int, set[int]]]


def security_needs(
    lots: Iterable[tuple], targets: Iterable[Target], equivalents: Mapping[int, Iterable[int]]
) -> tuple[set[int], set[int]]:
    """Securities that must have a price (held, targeted, preferred) and those that may."""
    required = {lot[2] for lot in lots}
    required |= {x for t in targets for x in (t.security_id, t.preferred_security_id) if x}
    optional: set[int] = set().union(*equivalents.values())
    return required, optional


def assemble_input(
    *,
    scope: str,
    accounts: list[Account],
    lots: list[tuple],
    targets: list[Target],
    equivalents: Mapping[int, Iterable[int]],
    securities: dict[int, SecurityInfo],
    cash_class_id: int,
    options: Options,
    recent: tuple[RecentTrade, ...],
    lists: Lists,
) -> ProposalInput:
    """The engine input from rows already read (one household's; see :func:`build_input`)."""
    options = dataclasses.replace(
        options,
        do_not_buy=options.do_not_buy | lists.do_not_buy,
        do_not_sell=options.do_not_sell | lists.do_not_sell,
    )
    return ProposalInput(
        scope="account" if scope == "account" else "household",
        accounts=tuple(_restricted(_account_input(a, lots), lists) for a in accounts),
        securities=securities,
        targets=tuple(_target_input(t, equivalents.get(t.pk, ()), securities) for t in targets),
        cash_class_id=cash_class_id,
        options=options,
        recent_trades=recent,
        restrictions=tuple(lists.infos),
    )


def _read_scope(
    household: Household | int, account: Account | int | None
) -> tuple[Household, list[Account], int]:
    """The household, its accounts (or just the one account) and the model they follow."""
    hh = Household.objects.only("pk", "name", "model_id").get(pk=_pk(household))
    accounts = list(Account.objects.filter(household_id=hh.pk).order_by("pk"))
    if account is not None:
        accounts = [a for a in accounts if a.pk == _pk(account)]
        if not accounts:
            raise ProposalInputError("That account is not in this household.")
    owner: Account | Household = accounts[0] if account is not None else hh
    if owner.model_id is None:
        kind = "account" if account is not None else "household"
        raise ProposalInputError(
            f"The {kind} {owner.name!r} has no model portfolio: assign one first."
        )
    return hh, accounts, owner.model_id


def _read_model(model_id: int) -> tuple[list[Target], dict[int, set[int]]]:
    """The model's targets (weight descending) and the equivalent security ids per target."""
    targets = list(
        Target.objects.filter(model_id=model_id)
        .select_related("asset_class", "security__asset_class")
        .order_by("-weight", "pk")
    )
    if not targets:
        raise ProposalInputError("The model portfolio has no targets.")
    equivalents: dict[int, set[int]] = {}
    for target_id, security_id in Equivalent.objects.filter(target__model_id=model_id).values_list(
        "target_id", "security_id"
    ):
        equivalents.setdefault(target_id, set()).add(security_id)
    return targets, equivalents


def _read_lots(accounts: list[Account]) -> list[tuple]:
    """The accounts' open lots: (pk, account, security, quantity, cost basis, acquired on)."""
    return list(
        TaxLot.objects.filter(account__in=[a.pk for a in accounts], quantity__gt=0)
        .order_by("account_id", "security_id", "acquired_on", "pk")
        .values_list("pk", "account_id", "security_id", "quantity", "cost_basis", "acquired_on")
    )


def _read_securities(
    required: set[int], optional: set[int], as_of: dt.date, firm_id: int
) -> dict[int, SecurityInfo]:
    """Symbol, class and latest price of each priced security; a required one needs a price."""
    known = read_security_rows(required | optional)
    prices = latest_prices(required | optional, as_of, firm_id)
    return priced_securities(required, optional, known, prices, as_of)


def read_security_rows(ids: set[int]) -> dict[int, tuple[str, int]]:
    """Symbol and asset class id per security id."""
    return {
        pk: (symbol, class_id)
        for pk, symbol, class_id in Security.objects.filter(pk__in=ids).values_list(
            "pk", "symbol", "asset_class_id"
        )
    }


def priced_securities(
    required: set[int],
    optional: set[int],
    known: Mapping[int, tuple[str, int]],
    prices: Mapping[int, Any],
    as_of: dt.date,
    made: dict[int, SecurityInfo] | None = None,
) -> dict[int, SecurityInfo]:
    """The priced securities among ``required | optional`` (by id), or ProposalInputError
    naming the required ones without a price. ``made`` keeps the SecurityInfo objects built
    so far, for callers that assemble many households from the same prices."""
    absent = required.difference(prices)
    if absent:
        missing = sorted(known[s][0] for s in absent)
        raise ProposalInputError(f"No price on or before {as_of} for {', '.join(missing)}.")
    made = {} if made is None else made
    out = {}
    for sid in sorted((required | optional).intersection(prices)):
        info = made.get(sid)
        if info is None:
            price = prices[sid]
            info = made[sid] = SecurityInfo(sid, *known[sid], price.close, price.date)
        out[sid] = info
    return out


def read_cash_class_id() -> int:
    """The id of the asset class the engine counts cash in (slug ``cash``)."""
    cash_class_id = (
        AssetClass.objects.filter(slug=CASH_CLASS_SLUG).values_list("pk", flat=True).first()
    )
    if cash_class_id is None:
        raise ProposalInputError("There is no asset class with the slug 'cash'.")
    return cash_class_id


def _target_input(
    t: Target, equivalent_ids: Iterable[int], securities: Mapping[int, SecurityInfo]
) -> TargetInput:
    """One model target as the engine takes it; equivalents without a price are left out."""
    return TargetInput(
        target_id=t.pk,
        label=str(t.asset_class or t.security),
        weight=t.weight,
        abs_band=t.abs_band,
        rel_band=t.rel_band,
        asset_class_id=t.asset_class_id,
        security_id=t.security_id,
        preferred_security_id=t.preferred_security_id,
        equivalent_ids=frozenset(s for s in equivalent_ids if s in securities),
        tax_deferred_first=(t.asset_class or t.security.asset_class).prefers_tax_deferred,
    )


def _account_input(account: Account, lots: list[tuple]) -> AccountInput:
    return AccountInput(
        account_id=account.pk,
        name=account.name,
        tax_status=account.tax_status,
        cash=account.cash_balance,
        lots=tuple(
            Lot(pk, sec, qty, basis, acquired)
            for pk, acc, sec, qty, basis, acquired in lots
            if acc == account.pk
        ),
        fractional=account.fractional_allowed,
        held_away=account.held_away,
    )


def _restricted(account: AccountInput, lists: Lists) -> AccountInput:
    """The account with its own do-not-buy and do-not-sell lists."""
    return dataclasses.replace(
        account,
        do_not_buy=frozenset(lists.account_buy.get(account.account_id, ())),
        do_not_sell=frozenset(lists.account_sell.get(account.account_id, ())),
    )


def _recent_trades(household_id: int, since: dt.date) -> tuple[RecentTrade, ...]:
    """Fills in any of the household's accounts since ``since`` (wash-sale look-back): what
    the custodian did (portfolios.executions). A sell is at a loss when a lot it relieved
    lost money (``Fill.lots`` gains, from the net proceeds)."""
    rows = Fill.objects.filter(
        account__household_id=household_id, trade_date__gte=since
    ).values_list("account_id", "security_id", "side", "trade_date", "lots")
    return recent_trades_of(rows)


def recent_trades_of(rows: Iterable[tuple]) -> tuple[RecentTrade, ...]:
    """(account, security, side, trade date, lots) fill rows as the engine's recent trades."""
    return tuple(
        RecentTrade(
            account_id=acc,
            security_id=sec,
            side=side,
            trade_date=day,
            at_loss=side == "sell"
            and any(lot.get("gain") is not None and Decimal(lot["gain"]) < 0 for lot in lots),
        )
        for acc, sec, side, day, lots in sorted(rows, key=lambda r: (r[3], r[0], r[1], r[2]))
    )


# --- Fingerprints and staleness ----------------------------------------------------------


def fingerprint(data: ProposalInput, trade_security_ids: Iterable[int] = ()) -> str:
    """SHA-256 of the lots, cash and prices a proposal depends on.

    Prices of the securities held, named by the model (target, preferred,
    equivalents) and traded; one that has no price counts as "no price", so
    a price that appears later changes the fingerprint too.
    """
    wanted = {lot.security_id for a in data.accounts for lot in a.lots}
    for t in data.targets:
        wanted |= {x for x in (t.security_id, t.preferred_security_id) if x} | t.equivalent_ids
    wanted |= set(trade_security_ids)
    prices = []
    for sid in sorted(wanted):
        info = data.securities.get(sid)
        prices.append([sid, plain(info.price), info.price_date.isoformat()] if info else [sid])
    payload = {
        "cash": sorted([a.account_id, plain(a.cash)] for a in data.accounts),
        "lots": sorted(
            [lot.lot_id, a.account_id, lot.security_id, plain(lot.quantity), plain(lot.cost_basis)]
            for a in data.accounts
            for lot in a.lots
        ),
        "prices": prices,
    }
    if data.restrictions:  # only then: fingerprints of unrestricted proposals stay as they were
        payload["restrictions"] = sorted(
            [r.security_id, r.side, r.scope, r.account_id or 0, r.reason] for r in data.restrictions
        )
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def current_as_of(proposal: Proposal) -> dt.date:
    """The later of the proposal's as-of date and the firm's pricing date today."""
    today = pricing_date(firm_id=proposal.firm_id)
    return max(proposal.as_of, today) if today else proposal.as_of


def input_for(
    proposal: Proposal, *, also: Iterable[int] = (), trade_security_ids: Iterable[int] | None = None
) -> tuple[ProposalInput, str]:
    """The input a proposal would be built from now, and its current fingerprint.

    The securities of its trades (and ``also``) are loaded too; the
    fingerprint covers the trades' securities (``trade_security_ids``,
    default: those stored).
    """
    with firm_scope(proposal.firm_id):
        if trade_security_ids is None:
            trade_security_ids = set(proposal.trades.values_list("security_id", flat=True))
        options = dataclasses.replace(
            options_from_json(proposal.options), as_of=current_as_of(proposal)
        )
    trade_security_ids = set(trade_security_ids)
    data, _ = build_input(
        firm=proposal.firm_id,
        household=proposal.household_id,
        account=proposal.account_id,
        options=options,
        extra_security_ids=trade_security_ids | set(also),
    )
    return data, fingerprint(data, trade_security_ids)


def current_fingerprint(proposal: Proposal) -> str:
    """The fingerprint of the data the proposal depends on, as the database holds it now."""
    return input_for(proposal)[1]
