"""A synthetic firm for the drift benchmark, generated inside PostgreSQL.

SQL ``generate_series`` builds households, accounts and lots server-side, so
2.5 M lots take seconds, not minutes. The firm's slug names its size
(``bench-100000x25``) and an existing one of that size is reused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction

from advisory.models import Firm, Membership, Role, User
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError
from portfolios.models import AssetClass, ModelPortfolio, Price, Security, Target
from portfolios.sample_data import ensure_asset_classes

BENCH_SECURITIES = 2000
LOT_BATCH_ACCOUNTS = 50_000
CLASS_WEIGHTS = [  # slug, target %, securities share of the universe
    ("us-large-cap", Decimal("45"), 0.40),
    ("us-small-cap", Decimal("15"), 0.20),
    ("international", Decimal("20"), 0.20),
    ("fixed-income", Decimal("17"), 0.19),
    ("cash", Decimal("3"), 0.01),
]


def bench_slug(accounts: int, per_account: int) -> str:
    return f"bench-{accounts}x{per_account}"


def ensure_bench_firm(accounts: int, per_account: int, as_of: dt.date) -> Firm:
    """The benchmark firm with exactly ``accounts`` accounts of ``per_account`` lots each."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the drift benchmark needs PostgreSQL (set DATABASE_URL)")
    slug = bench_slug(accounts, per_account)
    firm = Firm.objects.filter(slug=slug).first()
    if firm is not None:
        return firm
    # The firm is named "<slug>-partial" until its last lots are committed, so an
    # interrupted generation is never taken for a complete firm.
    partial = f"{slug}-partial"
    if Firm.objects.filter(slug=partial).exists():
        raise BenchError(f"an interrupted generation left firm {partial!r}: drop the database")
    lo_hi = ensure_universe(as_of)
    with transaction.atomic():
        firm = Firm.objects.create(name=f"Benchmark {accounts:,} × {per_account}", slug=partial)
        user, _ = User.objects.get_or_create(
            email="bench-advisor@ballast.invalid", defaults={"full_name": "Bench Advisor"}
        )
        with firm_scope(firm):
            advisor = Membership.objects.create(firm=firm, user=user, role=Role.ADVISOR)
            model = ModelPortfolio.objects.create(firm=firm, name="Bench 80/20")
            classes = {c.slug: c for c in AssetClass.objects.all()}
            for slug_, weight, _ in CLASS_WEIGHTS:
                Target.objects.create(
                    firm=firm, model=model, asset_class=classes[slug_], weight=weight
                )
        _generate(firm.pk, advisor.pk, model.pk, accounts)
    _generate_lots(firm.pk, per_account, lo_hi)
    Firm.objects.filter(pk=firm.pk).update(slug=slug)
    firm.slug = slug
    vacuum("advisory_household", "advisory_account", "portfolios_taxlot", "portfolios_price")
    return firm


def vacuum(*tables: str) -> None:
    """VACUUM ANALYZE (outside any transaction), as autovacuum would have by night time."""
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")


def ensure_universe(as_of: dt.date) -> tuple[int, int]:
    """BENCH_SECURITIES securities across the classes, each priced on ``as_of``."""
    classes = ensure_asset_classes()
    existing = Security.objects.filter(symbol__startswith="BX").count()
    if existing < BENCH_SECURITIES:
        rows, n = [], 0
        for slug_, _, share in CLASS_WEIGHTS:
            for _ in range(max(1, int(BENCH_SECURITIES * share))):
                n += 1
                rows.append(
                    Security(
                        symbol=f"BX{n:05d}",
                        name=f"Bench security {n}",
                        security_type="cash" if slug_ == "cash" else "etf",
                        asset_class=classes[slug_],
                    )
                )
        Security.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(Security.objects.filter(symbol__startswith="BX").values_list("pk", flat=True))
    Price.objects.bulk_create(
        [
            Price(
                security_id=pk,
                date=as_of,
                close=Decimal(1) if i < 20 else Decimal(5 + (pk * 7919) % 495),
                source="bench",
            )
            for i, pk in enumerate(sorted(ids))
        ],
        ignore_conflicts=True,
    )
    return min(ids), max(ids)


def _generate(firm_id: int, advisor_id: int, model_id: int, accounts: int) -> None:
    """Households of two accounts."""
    households = (accounts + 1) // 2
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO advisory_household (firm_id, name, primary_advisor_id, model_id,
                                            created_at, updated_at)
            SELECT %(firm)s, 'Bench household ' || g, %(advisor)s, %(model)s, now(), now()
            FROM generate_series(1, %(households)s) g
            """,
            {"firm": firm_id, "advisor": advisor_id, "model": model_id, "households": households},
        )
        cursor.execute(
            """
            WITH h AS (
                SELECT id, row_number() OVER (ORDER BY id) AS n
                FROM advisory_household WHERE firm_id = %(firm)s
            )
            INSERT INTO advisory_account (firm_id, household_id, name, registration, tax_status,
                custodian, account_number, model_id, cash_balance, fractional_allowed,
                held_away, created_at, updated_at)
            SELECT %(firm)s, h.id, 'Bench account ' || g, 'individual', 'taxable', 'schwab',
                   'BX' || %(firm)s || '-' || g, %(model)s,
                   round((random() * 5000)::numeric, 2), false, false, now(), now()
            FROM generate_series(1, %(accounts)s) g
            JOIN h ON h.n = (g + 1) / 2
            """,
            {"firm": firm_id, "model": model_id, "accounts": accounts},
        )


def _generate_lots(firm_id: int, per_account: int, securities: tuple[int, int]) -> None:
    """Lots spread over the universe with drifted sizes, written account by account.

    Account by account, as a custodian position file sorted by account is imported: a
    chunk's lots then sit on few pages and the loader reads them through the account
    index, where lots scattered over the whole table made every chunk scan all of it
    (docs/benchmarks.md). In batches of LOT_BATCH_ACCOUNTS accounts, each committed, so
    1 M accounts (25 M lots) take the memory of 50,000: the lots' deferred foreign-key
    checks would otherwise queue up for the whole firm until one commit.
    """
    lo, hi = securities
    span = hi - lo + 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM advisory_account WHERE firm_id = %s", [firm_id]
        )
        first, last = cursor.fetchone()
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        superuser = cursor.fetchone()[0]
    for start in range(first, last + 1, LOT_BATCH_ACCOUNTS):
        with transaction.atomic(), connection.cursor() as cursor:
            if superuser:  # skip the FK triggers: these ids were just read from their tables
                cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                """
                INSERT INTO portfolios_taxlot (firm_id, account_id, security_id, quantity,
                                               cost_basis, acquired_on)
                SELECT a.firm_id, a.id, %(lo)s + ((a.id * 7919 + k * 131) %% %(span)s),
                       round((1 + random() * 400 * power(random(), 2))::numeric, 4),
                       round((100 + random() * 20000)::numeric, 2),
                       DATE '2024-01-02' + (k * 13 %% 600)
                FROM advisory_account a, generate_series(1, %(per)s) k
                WHERE a.firm_id = %(firm)s AND a.id BETWEEN %(start)s AND %(end)s
                ORDER BY a.id, k
                """,
                {
                    "firm": firm_id,
                    "lo": lo,
                    "span": span,
                    "per": per_account,
                    "start": start,
                    "end": start + LOT_BATCH_ACCOUNTS - 1,
                },
            )
