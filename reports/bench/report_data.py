"""The firm of the report benchmark (PostgreSQL): ``bench-reports-<households>x2x5``.

One admin (who requests the firm-wide batch), two advisors, a compliance officer and the four
disclosures the household report requires (the demo's texts, approved through the workflow).
Households of :data:`ACCOUNTS` accounts, each holding :data:`LOTS_PER_ACCOUNT` lots of
different securities of the benchmark universe, so the report's holdings fit one page: with
the template's page breaks (cover | summary | holdings | activity | disclosures) that is the
shortest report, the closest to the issue's "4-page household report". Drift snapshots on
several days of the report's month (each day's prices moved a little) give the report a start
value and a value-over-time chart. Built in SQL once and reused; archived reports cannot be
deleted, so each run adds its reports to the firm's archive.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from advisory.demo.disclosures import ensure_disclosures
from advisory.models import Firm, Household, Membership, Role, User
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError
from portfolios.bench.drift_data import CLASS_WEIGHTS, ensure_universe, vacuum
from portfolios.bench.sql_book import insert_households_and_accounts
from portfolios.drift import runs as drift_runs
from portfolios.models import (
    AssetClass,
    DriftRun,
    DriftRunState,
    ModelPortfolio,
    Price,
    Target,
)

PERIOD_START = dt.date(2025, 12, 1)
PERIOD_END = dt.date(2025, 12, 31)  # the other benchmarks' as-of date: its prices exist
# Drift days: the last one before the month (the report's start value), weekly, the end.
DRIFT_DAYS = (
    dt.date(2025, 11, 28),
    dt.date(2025, 12, 5),
    dt.date(2025, 12, 12),
    dt.date(2025, 12, 19),
    dt.date(2025, 12, 26),
    PERIOD_END,
)
ACCOUNTS = (("Joint brokerage", "taxable"), ("IRA", "tax_deferred"))
LOTS_PER_ACCOUNT = 5  # one security of each of the five classes
PER_CLASS = 6  # securities per class the lots are drawn from
PRICE_SOURCE = "bench"  # ensure_universe's source
PEOPLE = (
    ("admin", Role.ADMIN),
    ("a", Role.ADVISOR),
    ("b", Role.ADVISOR),
    ("compliance", Role.COMPLIANCE),
)


def reports_slug(households: int) -> str:
    """Named by its shape, so a firm of another shape is never reused by mistake."""
    return f"bench-reports-{households}x{len(ACCOUNTS)}x{LOTS_PER_ACCOUNT}"


@dataclass(frozen=True)
class ReportFirm:
    firm: Firm
    admin: User  # requests the firm-wide batch
    households: int


def ensure_report_firm(households: int) -> ReportFirm:
    """The report firm with ``households`` households, built if missing."""
    if connection.vendor != "postgresql":
        raise BenchError("bench_reports needs PostgreSQL: set DATABASE_URL.")
    slug = reports_slug(households)
    firm = Firm.objects.filter(slug=slug).first()
    if firm is None:
        firm = _build(slug, households)
    with firm_scope(firm):
        people = {
            m.user.email.split("@")[0].removeprefix(f"{slug}-"): m
            for m in Membership.objects.select_related("user").filter(firm=firm)
        }
        with acting_as(actor_label="bench_reports", role="system"):
            ensure_disclosures(firm, people, Counter())
        count = Household.objects.count()
    ensure_history_prices()
    for day in DRIFT_DAYS:
        ensure_drift(firm, day)
    return ReportFirm(firm=firm, admin=people["admin"].user, households=count)


def _pick_securities() -> list[list[int]]:
    """:data:`PER_CLASS` bench securities per class, priced on the period's end; outside the
    cash class only those not priced at $1 (the universe prices its first ids at $1)."""
    picks = []
    for class_slug, _, _ in CLASS_WEIGHTS:
        prices = Price.objects.filter(
            security__symbol__startswith="BX",
            security__asset_class__slug=class_slug,
            date=PERIOD_END,
            source=PRICE_SOURCE,
        )
        if class_slug != "cash":
            prices = prices.exclude(close=1)
        ids = list(prices.order_by("security_id").values_list("security_id", flat=True))
        if len(ids) < PER_CLASS:
            raise BenchError(f"the bench universe has too few {class_slug} securities")
        picks.append(ids[:PER_CLASS])
    return picks


def _build(slug: str, households: int) -> Firm:
    ensure_universe(PERIOD_END)
    picks = _pick_securities()
    classes = {c.slug: c for c in AssetClass.objects.all()}
    with transaction.atomic():
        firm = Firm.objects.create(name=f"Report benchmark {households:,}", slug=slug)
        with firm_scope(firm):
            members = {}
            for suffix, role in PEOPLE:
                user, _ = User.objects.get_or_create(
                    email=f"{slug}-{suffix}@ballast.invalid",
                    defaults={"full_name": f"Bench {suffix}"},
                )
                members[suffix] = Membership.objects.create(firm=firm, user=user, role=role)
            model = ModelPortfolio.objects.create(firm=firm, name="Bench balanced")
            for class_slug, weight, _ in CLASS_WEIGHTS:
                Target.objects.create(
                    firm=firm, model=model, asset_class=classes[class_slug], weight=weight
                )
        advisors = [members["a"].pk, members["b"].pk]
        _generate(firm.pk, advisors, model.pk, households, picks)
    vacuum("advisory_household", "advisory_account", "portfolios_taxlot")
    return firm


def _generate(
    firm_id: int, advisors: list[int], model_id: int, households: int, picks: list[list[int]]
) -> None:
    """Households, accounts and lots in INSERT … SELECT statements (alternating advisors)."""
    # Built from our own integer ids, never from input.
    choices = "ARRAY[" + ",".join("ARRAY[" + ",".join(map(str, ids)) + "]" for ids in picks) + "]"
    weights = "ARRAY[" + ",".join(str(w) for _, w, _ in CLASS_WEIGHTS) + "]::numeric[]"
    with connection.cursor() as cursor:
        insert_households_and_accounts(
            cursor,
            firm_id=firm_id,
            advisors=advisors,
            model_id=model_id,
            households=households,
            accounts=ACCOUNTS,
            label="Report",
        )
        # Lot k is of class k, sized to about its target share of $50,000-150,000, ±30 %.
        cursor.execute(
            f"""
            INSERT INTO portfolios_taxlot (firm_id, account_id, security_id, quantity,
                                           cost_basis, acquired_on)
            SELECT l.firm_id, l.account_id, l.security_id,
                   greatest(1, round(l.budget * (0.7 + random() * 0.6) / p.close)),
                   round((l.budget * (0.6 + random() * 0.5))::numeric, 2),
                   DATE '2023-01-02' + ((l.account_id * 17 + l.k * 97) %% 1000)::int
            FROM (
                SELECT a.firm_id, a.id AS account_id, k,
                       ({choices})[k][1 + ((a.id * 31 + k * 7) %% {PER_CLASS})] AS security_id,
                       ({weights})[k] * (500 + (a.id * 7919) %% 1000) AS budget
                FROM advisory_account a, generate_series(1, {LOTS_PER_ACCOUNT}) k
                WHERE a.firm_id = %(firm)s
            ) l
            JOIN portfolios_price p ON p.security_id = l.security_id
                 AND p.date = %(as_of)s AND p.source = %(source)s
            """,  # noqa: S608
            {"firm": firm_id, "as_of": PERIOD_END, "source": PRICE_SOURCE},
        )


def _day_factor(security_id: int, day: dt.date) -> Decimal:
    """A deterministic move of −4 % … +4 % per security and day, so values vary over time."""
    step = (security_id * 7919 + day.toordinal() * 104729) % 81
    return Decimal(1) + Decimal(step - 40) / Decimal(1000)


def ensure_history_prices() -> None:
    """A price on each earlier drift day for every bench security priced on the period's end.

    Only days before the period's end, so every lookup "on or before" that day (the other
    benchmarks') still finds the same prices.
    """
    closes = Price.objects.filter(
        security__symbol__startswith="BX", date=PERIOD_END, source=PRICE_SOURCE
    ).values_list("security_id", "close")
    rows = [
        Price(
            security_id=pk,
            date=day,
            close=close if close == 1 else (close * _day_factor(pk, day)).quantize(close),
            source=PRICE_SOURCE,
        )
        for pk, close in closes
        for day in DRIFT_DAYS
        if day < PERIOD_END
    ]
    with transaction.atomic():
        Price.objects.bulk_create(rows, batch_size=5_000, ignore_conflicts=True)


def ensure_drift(firm: Firm, day: dt.date) -> None:
    """The firm's drift snapshots for ``day``, computed (in this process) if not done yet."""
    with firm_scope(firm):
        if DriftRun.objects.filter(as_of=day, state=DriftRunState.COMPLETE).exists():
            return
        with acting_as(actor_label="bench_reports", role="system"):
            run, _ = drift_runs.start_run(firm, day)
            drift_runs.process_inline(run)
