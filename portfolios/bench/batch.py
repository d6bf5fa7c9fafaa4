"""A synthetic firm for the batch-proposal and advisor-home benchmarks (PostgreSQL).

``bench-batch-<n>``: a firm admin and two advisors, each the primary advisor of
half of ``n`` households (alternating; :func:`ensure_team_firm` builds the same kind of
firm with more advisors, for the concurrency benchmark); households of three accounts (taxable,
IRA, Roth), 20 lots each over six securities per class of the benchmark universe,
heavy in US large cap, against a five-class model that prefers the first security
of each class. Drift is computed once when the firm is made, so every household is
breached in the latest snapshots, as on the morning after a long large-cap run.
An existing firm of that size is reused.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import statistics
import string
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from advisory.models import Firm, Household, Membership, Role, User
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.bench.drift_data import CLASS_WEIGHTS, ensure_universe, vacuum
from portfolios.bench.sql_book import insert_households_and_accounts
from portfolios.drift import runs as drift_runs
from portfolios.models import BatchState, ModelPortfolio, Proposal, ProposalBatch, Security, Target
from portfolios.proposals.batches import outcome_counts, parts_for, process_batch, start_batch
from portfolios.rebalance.types import Options

ACCOUNTS = (("Joint brokerage", "taxable"), ("IRA", "tax_deferred"), ("Roth IRA", "tax_exempt"))
LOTS_PER_ACCOUNT = 20
PER_CLASS = 6
# Of every 20 lots: 14 large cap, 1 small cap, 2 international, 2 bonds, 1 cash fund.
LOT_CLASSES = (0,) * 14 + (1,) + (2,) * 2 + (3,) * 2 + (4,)


def batch_slug(households: int) -> str:
    return f"bench-batch-{households}"


@dataclass(frozen=True)
class BatchFirm:
    firm: Firm
    admin: Membership
    advisor: Membership  # primary advisor of half the households
    other_advisor: Membership


def ensure_batch_firm(households: int, as_of: dt.date) -> BatchFirm:
    """The batch firm and its people, built (with drift for ``as_of``) if missing."""
    slug = batch_slug(households)
    _, people = ensure_team_firm(slug, f"Batch benchmark {households:,}", households, 2, as_of)
    return BatchFirm(people["admin"].firm, people["admin"], people["a"], people["b"])


def advisor_suffixes(advisors: int) -> list[str]:
    """``a``, ``b``, … : the advisors' e-mail suffixes (``<slug>-a@ballast.invalid``)."""
    if not 1 <= advisors <= len(string.ascii_lowercase):
        raise ValueError(f"between 1 and 26 advisors, not {advisors}")
    return list(string.ascii_lowercase[:advisors])


def ensure_team_firm(
    slug: str, name: str, households: int, advisors: int, as_of: dt.date
) -> tuple[Firm, dict[str, Membership]]:
    """A firm of one admin and ``advisors`` advisors sharing ``households`` households.

    Household ``g`` (1-based) belongs to advisor ``(g - 1) % advisors``; the firm is built
    (with drift for ``as_of``) if no firm has ``slug``. Returns the firm and its memberships
    by e-mail suffix (``admin``, ``a``, ``b``, …).
    """
    if connection.vendor != "postgresql":
        raise RuntimeError("the bench firms need PostgreSQL (set DATABASE_URL)")
    firm = Firm.objects.filter(slug=slug).first()
    if firm is None:
        firm = _build(households, slug, name, advisors, as_of)
    with firm_scope(firm):
        people = {
            m.user.email.split("@")[0].removeprefix(f"{slug}-"): m
            for m in Membership.objects.select_related("user", "firm").filter(
                # The team only: a firm reused by the load test has clients and an officer too.
                firm=firm,
                role__in=(Role.ADMIN, Role.ADVISOR),
            )
        }
    return firm, people


def _build(households: int, slug: str, name: str, advisors: int, as_of: dt.date) -> Firm:
    ensure_universe(as_of)
    by_class = securities_by_class()
    roles = [("admin", Role.ADMIN)] + [(s, Role.ADVISOR) for s in advisor_suffixes(advisors)]
    with transaction.atomic():
        firm = Firm.objects.create(name=name, slug=slug)
        with firm_scope(firm):
            members = []
            for suffix, role in roles:
                user, _ = User.objects.get_or_create(
                    email=f"{slug}-{suffix}@ballast.invalid",
                    defaults={"full_name": f"Bench {suffix}"},
                )
                members.append(Membership.objects.create(firm=firm, user=user, role=role))
            model = ModelPortfolio.objects.create(firm=firm, name="Bench balanced")
            for (_, weight, _), ids in zip(CLASS_WEIGHTS, by_class, strict=True):
                Target.objects.create(
                    firm=firm,
                    model=model,
                    asset_class_id=Security.objects.get(pk=ids[0]).asset_class_id,
                    weight=weight,
                    preferred_security_id=ids[0],
                )
        _generate(firm.pk, [m.pk for m in members[1:]], model.pk, households, by_class)
    vacuum("advisory_household", "advisory_account", "portfolios_taxlot")
    with firm_scope(firm), acting_as(actor_label="bench", role="system"):
        run, _ = drift_runs.start_run(firm, as_of)
        drift_runs.process_inline(run)
    return firm


def securities_by_class() -> list[list[int]]:
    """Six priced securities per class of the universe, in class order."""
    out = []
    for slug, _, _ in CLASS_WEIGHTS:
        ids = Security.objects.filter(symbol__startswith="BX", asset_class__slug=slug)
        out.append(list(ids.order_by("pk").values_list("pk", flat=True)[:PER_CLASS]))
    return out


def _generate(
    firm_id: int,
    advisors: list[int],
    model_id: int,
    households: int,
    by_class: list[list[int]],
) -> None:
    """Households, accounts and lots in three INSERT … SELECT statements."""
    picks = [by_class[c] for c in LOT_CLASSES]  # lot k draws from the class of LOT_CLASSES[k]
    choices = "ARRAY[" + ",".join("ARRAY[" + ",".join(map(str, ids)) + "]" for ids in picks) + "]"
    with connection.cursor() as cursor:
        insert_households_and_accounts(
            cursor,
            firm_id=firm_id,
            advisors=advisors,
            model_id=model_id,
            households=households,
            accounts=ACCOUNTS,
            label="Batch",
        )
        # The choices array is built from our own integer ids above, never from input.
        cursor.execute(
            f"""
            INSERT INTO portfolios_taxlot (firm_id, account_id, security_id, quantity,
                                           cost_basis, acquired_on)
            SELECT a.firm_id, a.id, ({choices})[k][1 + ((a.id * 31 + k * 7) %% {PER_CLASS})],
                   (5 + floor(random() * 60))::numeric,
                   round((200 + random() * 9000)::numeric, 2),
                   DATE '2023-01-02' + ((a.id * 17 + k * 97) %% 1000)::int
            FROM advisory_account a, generate_series(1, {LOTS_PER_ACCOUNT}) k
            WHERE a.firm_id = %(firm)s
            """,  # noqa: S608
            {"firm": firm_id},
        )


def clear_proposals(firm: Firm) -> None:
    """Drop earlier bench batches and drafts (untimed), so each round proposes afresh."""
    with firm_scope(firm), transaction.atomic():
        ProposalBatch.objects.all().delete()
        Proposal.objects.all().delete()


def time_batch(bench: BatchFirm, as_of: dt.date, workers: int) -> dict[str, Any]:
    """One batch for the first advisor's book, from the start to the last draft stored.

    Its parts run in ``workers`` forked processes, as Celery's prefork workers run the
    ``propose_batch`` tasks (``process_batch`` is the task's body); the broker round trip
    is left out.
    """
    clear_proposals(bench.firm)
    options = Options(mode="to_target", as_of=as_of)
    started = time.perf_counter()
    batch = start_batch(firm=bench.firm, user=bench.advisor.user, options=options)
    parts = parts_for(batch.total)
    _close_connections()  # never share a connection across fork
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_close_connections) as pool:
        pool.map(_part_in_child, [(bench.firm.pk, batch.pk, p, parts) for p in range(parts)])
    elapsed = time.perf_counter() - started
    with firm_scope(bench.firm):
        batch = ProposalBatch.objects.get(pk=batch.pk)
    if batch.state != BatchState.COMPLETE:
        raise RuntimeError(f"the bench batch ended {batch.state}: {batch.errors}")
    with firm_scope(bench.firm):
        counts = outcome_counts(batch)
    return {"households": batch.total, "seconds": elapsed, "parts": parts, "outcomes": counts}


def time_advisor_home(bench: BatchFirm, runs: int) -> dict[str, Any]:
    """Server time of the advisor home (``/``) for the firm admin, who sees every household.

    Django's test client in this process: URL resolution, middleware, the view and the
    template, without a network hop. Queries are counted on the last request.
    """
    client = Client()
    client.force_login(bench.admin.user, backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(2):  # warm caches, as a server that has served a page has
        client.get("/")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/")
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"the advisor home answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    with firm_scope(bench.firm):
        households = Household.objects.count()
    rows = response.content.decode().count('class="row-title" href="/households/')
    return {
        "households": households,
        "rows": rows,
        "median_ms": statistics.median(times),
        "p95_ms": sorted(times)[max(0, int(0.95 * len(times)) - 1)],
        "queries": len(queries),
    }


def _part_in_child(args: tuple[int, int, int, int]) -> None:
    process_batch(*args)


def _close_connections() -> None:
    connections.close_all()
