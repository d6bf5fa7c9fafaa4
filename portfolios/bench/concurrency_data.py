"""The firm and the position files of the concurrency benchmark (PostgreSQL).

``bench-http-<advisors>x<households>``: the batch benchmark's kind of firm
(:func:`portfolios.bench.batch.ensure_team_firm`) with one admin and ``advisors``
advisors, each the primary advisor of ``households`` households of three accounts
(taxable, IRA, Roth) of 20 lots; drift computed once. Every person of the firm gets
:data:`BENCH_PASSWORD`, so the clients sign in through the login form. Reused when present.

The position files (generic preset, ``account_number,symbol,quantity,cost_basis,
acquired_date``) name the firm's first accounts by id, 20 lots each, from the same class
mix and securities as the firm's lots. Two variants differ in every quantity, so
alternating them makes every import replace every account it names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from advisory.access import households_for
from advisory.models import Account, Firm, User
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError
from portfolios.bench.batch import (
    LOT_CLASSES,
    LOTS_PER_ACCOUNT,
    PER_CLASS,
    ensure_team_firm,
    securities_by_class,
)
from portfolios.models import Security, TaxLot

BENCH_PASSWORD = "ballast-bench-concurrency-2025"  # noqa: S105 - synthetic bench users only
# A fixed salt keeps the stored hash the same from run to run, so an existing firm's users
# are not rewritten (and no hash is paid per user): synthetic users on a bench database.
# PBKDF2 (Django's default, what the served settings verify), whatever hashers the calling
# process's settings list (the test settings use a fast one).
_SALT = "ballastbenchsalt"
FIRST_LOT_DAY = dt.date(2023, 1, 2)


def http_slug(advisors: int, households_per_advisor: int) -> str:
    return f"bench-http-{advisors}x{households_per_advisor}"


@dataclass(frozen=True)
class Book:
    email: str
    household_ids: tuple[int, ...]


@dataclass(frozen=True)
class HttpFirm:
    firm: Firm
    admin_email: str
    books: tuple[Book, ...]  # one per advisor, in e-mail order
    accounts: int
    lots: int


def ensure_http_firm(advisors: int, households_per_advisor: int, as_of: dt.date) -> HttpFirm:
    """The firm (built if missing), its people's passwords set, and each advisor's book."""
    slug = http_slug(advisors, households_per_advisor)
    name = f"HTTP benchmark {advisors} × {households_per_advisor}"
    households = advisors * households_per_advisor
    firm, people = ensure_team_firm(slug, name, households, advisors, as_of)
    encoded = PBKDF2PasswordHasher().encode(BENCH_PASSWORD, _SALT)
    User.objects.filter(pk__in=[m.user_id for m in people.values()]).exclude(
        password=encoded
    ).update(password=encoded)
    books = []
    with firm_scope(firm):
        for suffix, membership in sorted(people.items()):
            if suffix == "admin":
                continue
            ids = households_for(membership).order_by("pk").values_list("pk", flat=True)
            books.append(Book(membership.user.email, tuple(ids)))
        accounts = Account.objects.count()
        lots = TaxLot.objects.count()
    return HttpFirm(firm, people["admin"].user.email, tuple(books), accounts, lots)


def position_files(firm: Firm, lots: int) -> tuple[bytes, bytes]:
    """Two position files of ``lots`` lots (20 per account), differing in every quantity."""
    wanted = -(-lots // LOTS_PER_ACCOUNT)
    with firm_scope(firm):
        accounts = list(Account.objects.order_by("pk").values_list("pk", "account_number")[:wanted])
    if len(accounts) < wanted:
        raise BenchError(f"{firm.slug} has {len(accounts)} accounts, the file needs {wanted}")
    symbols_by_id = dict(Security.objects.values_list("pk", "symbol"))
    by_class = [[symbols_by_id[pk] for pk in ids] for ids in securities_by_class()]
    return _file(accounts, by_class, lots, 0), _file(accounts, by_class, lots, 1)


def _file(
    accounts: list[tuple[int, str]], by_class: list[list[str]], lots: int, variant: int
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["account_number", "symbol", "quantity", "cost_basis", "acquired_date"])
    written = 0
    for account_id, number in accounts:
        for k in range(1, LOTS_PER_ACCOUNT + 1):
            if written == lots:
                break
            symbol = by_class[LOT_CLASSES[k - 1]][(account_id * 31 + k * 7) % PER_CLASS]
            quantity = 5 + (account_id * 31 + k * 7 + variant * 11) % 60  # variants never equal
            basis = f"{200 + (account_id * 13 + k * 101) % 9000}.{k:02d}"
            # 97·k mod 1000 differs for every k ≤ 20: no two lines of an account are identical
            acquired = FIRST_LOT_DAY + dt.timedelta(days=(account_id * 17 + k * 97) % 1000)
            writer.writerow([number, symbol, quantity, basis, acquired.isoformat()])
            written += 1
    return out.getvalue().encode()


def holds_variant(firm: Firm, files: tuple[bytes, bytes]) -> int | None:
    """Which file the database holds now (judged on the first account), or None."""
    number = files[0].decode().split("\n", 2)[1].split(",", 1)[0]
    with firm_scope(firm):
        held = sorted(
            int(q)
            for q in TaxLot.objects.filter(account__account_number=number).values_list(
                "quantity", flat=True
            )
        )
    for variant, data in enumerate(files):
        rows = csv.DictReader(io.StringIO(data.decode()))
        quantities = sorted(int(r["quantity"]) for r in rows if r["account_number"] == number)
        if quantities == held:
            return variant
    return None
