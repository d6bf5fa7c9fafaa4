"""Valuing holdings at the latest prices, exactly, in a fixed number of queries.

A holding whose latest price is older than ``BALLAST_PRICE_STALE_DAYS``
before the pricing date is *stale*; one with no price at all is *unpriced*.
Neither is ever valued at zero: the account total is then marked incomplete
and names the symbols.

Prices from files are shared by every firm; a manual price (source
``manual:<firm slug>``) counts only for the firm it was entered for
(:func:`visible_prices`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Concat
from django.utils import timezone

from advisory.models import Firm
from advisory.money import ZERO, market_value, to_cents
from advisory.tenancy import active_firm_id
from portfolios.models import Price, Security, TaxLot
from portfolios.pricing.sources import MANUAL_PREFIX


@dataclass(frozen=True)
class LatestPrice:
    close: Decimal
    date: dt.date
    source: str


@dataclass(frozen=True)
class Holding:
    account_id: int
    security: Security
    quantity: Decimal
    cost_basis: Decimal | None  # None when any lot's basis is unknown
    price: LatestPrice | None
    stale: bool

    @property
    def market_value(self) -> Decimal | None:
        """Value at the latest known price (even a stale one, which is flagged)."""
        if self.price is None:
            return None
        return market_value(self.quantity, self.price.close)

    @property
    def counted(self) -> bool:
        """Whether this holding counts toward totals: priced and not stale."""
        return self.price is not None and not self.stale

    @property
    def unrealized_gain(self) -> Decimal | None:
        value = self.market_value
        if value is None or self.cost_basis is None:
            return None
        return value - self.cost_basis


@dataclass
class AccountValuation:
    account_id: int
    cash: Decimal
    holdings: list[Holding] = field(default_factory=list)

    @property
    def securities_value(self) -> Decimal:
        return sum((h.market_value for h in self.holdings if h.counted), ZERO)

    @property
    def total(self) -> Decimal:
        """Cash plus every counted holding, unrounded."""
        return self.cash + self.securities_value

    @property
    def statement_value(self) -> Decimal:
        """The account's value as a client statement shows it (the report PDF and the client
        portal alike): cash and every priced holding, one with an old price included (and
        marked where it is shown), each line rounded to cents first so the lines add up."""
        lines = (to_cents(h.market_value) for h in self.holdings if h.market_value is not None)
        return to_cents(self.cash) + sum(lines, ZERO)

    @property
    def unpriced_symbols(self) -> list[str]:
        return sorted(h.security.symbol for h in self.holdings if not h.counted)

    @property
    def incomplete(self) -> bool:
        return bool(self.unpriced_symbols)


def visible_prices(firm_id: int | None) -> Q:
    """The prices a firm may see: every shared price, and its own manual prices.

    A source starting with ``manual`` counts only when it is exactly
    ``manual:<slug of firm_id>``; with ``firm_id`` None no manual price counts.
    The slug is looked up inside the same SQL statement (a subquery).
    """
    shared = ~Q(source__startswith=MANUAL_PREFIX)
    if firm_id is None:
        return shared
    slug = Subquery(Firm.objects.filter(pk=firm_id).values("slug")[:1])
    return shared | Q(source=Concat(Value(f"{MANUAL_PREFIX}:"), slug))


def pricing_date(today: dt.date | None = None, firm_id: int | None = None) -> dt.date | None:
    """The most recent date with any price on or before ``today``: the as-of date.

    Only prices the firm may see count (``firm_id`` None: the active firm
    scope's, if any), so another firm's manual price never moves it.
    """
    today = today or timezone.localdate()
    firm_id = firm_id if firm_id is not None else active_firm_id()
    prices = Price.objects.filter(visible_prices(firm_id), date__lte=today)
    return prices.aggregate(d=Max("date"))["d"]


def latest_prices(
    security_ids: Iterable[int], as_of: dt.date, firm_id: int | None = None
) -> dict[int, LatestPrice]:
    """The latest close on or before ``as_of`` per security, in one query.

    Shared prices count for everyone; a manual price only for its own firm
    (``firm_id``; None: no manual prices at all). When two sources priced the
    same date, the one recorded last wins.
    """
    ids = set(security_ids)
    if not ids:
        return {}
    newest = Price.objects.filter(
        visible_prices(firm_id), security=OuterRef("pk"), date__lte=as_of
    ).order_by("-date", "-pk")
    rows = (
        Security.objects.filter(pk__in=ids)
        .annotate(
            p_close=Subquery(newest.values("close")[:1]),
            p_date=Subquery(newest.values("date")[:1]),
            p_source=Subquery(newest.values("source")[:1]),
        )
        .values_list("pk", "p_close", "p_date", "p_source")
    )
    return {
        pk: LatestPrice(close, date, source)
        for pk, close, date, source in rows
        if close is not None
    }


def value_accounts(
    accounts: Iterable, as_of: dt.date | None = None, firm_id: int | None = None
) -> dict[int, AccountValuation]:
    """Value accounts (objects with ``pk`` and ``cash_balance``) at ``as_of``.

    Prices are those ``firm_id`` may see (None: the active firm scope's).
    Three queries whatever the number of accounts: the pricing date, the lots
    summed per account and security, and the latest prices.
    """
    accounts = list(accounts)
    firm_id = firm_id if firm_id is not None else active_firm_id()
    as_of = as_of or pricing_date(firm_id=firm_id)
    result = {a.pk: AccountValuation(a.pk, a.cash_balance) for a in accounts}
    if not accounts:
        return result
    positions = (
        TaxLot.objects.filter(account__in=[a.pk for a in accounts], quantity__gt=0)
        .values("account_id", "security_id")
        .annotate(
            qty=Sum("quantity"),
            cost=Sum("cost_basis"),
            unknown=Count("pk", filter=Q(cost_basis__isnull=True)),
        )
        .order_by()
    )
    positions = list(positions)
    securities = Security.objects.select_related("asset_class").in_bulk(
        {p["security_id"] for p in positions}
    )
    prices = latest_prices(securities, as_of, firm_id) if as_of else {}
    stale_before = as_of - dt.timedelta(days=settings.BALLAST_PRICE_STALE_DAYS) if as_of else None
    for p in positions:
        price = prices.get(p["security_id"])
        result[p["account_id"]].holdings.append(
            Holding(
                account_id=p["account_id"],
                security=securities[p["security_id"]],
                quantity=p["qty"],
                cost_basis=None if p["unknown"] else p["cost"],
                price=price,
                stale=price is not None and price.date < stale_before,
            )
        )
    for valuation in result.values():
        valuation.holdings.sort(
            key=lambda h: (h.security.asset_class.sort_order, h.security.symbol)
        )
    return result


@dataclass(frozen=True)
class ClassWeight:
    name: str
    value: Decimal
    weight: Decimal  # percent of the total, unrounded


def allocation_by_class(valuations: Iterable[AccountValuation]) -> list[ClassWeight]:
    """Market value and weight per asset class across valuations, cash included."""
    by_class: dict[str, Decimal] = defaultdict(lambda: ZERO)
    order: dict[str, int] = {}
    cash = ZERO
    for valuation in valuations:
        cash += valuation.cash
        for h in valuation.holdings:
            if h.counted:
                by_class[h.security.asset_class.name] += h.market_value
                order[h.security.asset_class.name] = h.security.asset_class.sort_order
    if cash:
        by_class["Cash"] += cash
        order.setdefault("Cash", 10_000)
    total = sum(by_class.values(), ZERO)
    if not total:
        return []
    return [
        ClassWeight(name, value, value * 100 / total)
        for name, value in sorted(by_class.items(), key=lambda kv: (order[kv[0]], kv[0]))
    ]
