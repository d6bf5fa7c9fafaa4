"""The drift benchmark behind ``manage.py bench_drift``: the batch against PostgreSQL's raw COPY.

The result (one JSON line from the command; medians over --repeat interleaved rounds): accounts,
positions, drift_s (read → compute →
snapshots written, end to end, chunks spread over --workers processes as
Celery workers would), copy_s (PostgreSQL streaming the same joined rows
out with ``COPY (SELECT …) TO STDOUT``, measured in the same run), ratio,
positions_per_s, peak_rss_mb (largest single process),
peak_rss_mb_per_worker (each worker process's own peak, the largest over the
rounds; a forked worker's RSS includes the pages it shares with the parent,
peak_rss_mb_parent), and the naive per-account ORM baseline on a sample with
its extrapolation and speed-up.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import time
from typing import Any

from django.db import connection, connections

from advisory.models import Account, Firm
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError
from portfolios.bench.drift_data import ensure_bench_firm, vacuum
from portfolios.bench.naive import naive_account_drift
from portfolios.drift import runs as drift_runs
from portfolios.drift.loading import POSITIONS_SQL
from portfolios.models import DriftSnapshot, TaxLot
from portfolios.pricing.sources import manual_source

AS_OF = dt.date(2025, 12, 31)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _chunk_in_child(args: tuple[int, int]) -> tuple[int, float]:
    firm_id, chunk_id = args
    drift_runs.note_attempt(firm_id, chunk_id)
    drift_runs.process_chunk(firm_id, chunk_id)
    return os.getpid(), _peak_rss_mb()


def _per_worker(samples: list[tuple[int, float]]) -> list[float]:
    """Each worker process's peak (its samples only grow), in the order workers first reported."""
    peaks: dict[int, float] = {}
    for pid, rss in samples:
        peaks[pid] = max(peaks.get(pid, 0.0), rss)
    return list(peaks.values())


def _close_connections() -> None:
    connections.close_all()


def run(
    *,
    accounts: int,
    positions_per_account: int,
    workers: int,
    chunk_households: int,
    naive_share: float,
    repeat: int,
) -> dict[str, Any]:
    """The benchmark as ``bench_drift`` runs it (its options, same names)."""
    if connection.vendor != "postgresql":
        raise BenchError("bench_drift needs PostgreSQL: set DATABASE_URL.")
    started = time.perf_counter()
    firm = ensure_bench_firm(accounts, positions_per_account, AS_OF)
    setup_s = time.perf_counter() - started
    with firm_scope(firm):
        positions = TaxLot.objects.count()
        accounts_n = Account.objects.count()  # not the ids: forked workers would carry them
    copies, drifts, per_worker = [], [], []
    for _ in range(repeat):
        copies.append(time_copy(firm.pk))
        # The nightly case is a new date with no snapshots yet: clear the bench
        # date's rows (untimed), so each round measures that, not re-run updates.
        with firm_scope(firm):
            DriftSnapshot.objects.filter(as_of=AS_OF).delete()
        vacuum(DriftSnapshot._meta.db_table)
        drift_s, rss, drift_run = time_batch(firm, workers, chunk_households)
        if drift_run.state != "complete":
            raise BenchError(f"the run ended {drift_run.state}: {drift_run.errors}")
        drifts.append(drift_s)
        per_worker.append(_per_worker(rss))
    copy_s, drift_s = statistics.median(copies), statistics.median(drifts)
    with firm_scope(firm):
        sample = list(
            Account.objects.order_by("pk").values_list("pk", flat=True)[
                : max(1, int(accounts_n * naive_share))
            ]
        )
    naive_started = time.perf_counter()
    naive_account_drift(firm.pk, sample, AS_OF)
    naive_s = time.perf_counter() - naive_started
    naive_full = naive_s * accounts_n / len(sample)
    workers_peak = [max(p) for p in zip(*per_worker, strict=False)] if per_worker else []
    return {
        "accounts": accounts_n,
        "positions": positions,
        "drift_s": round(drift_s, 3),
        "copy_s": round(copy_s, 3),
        "ratio": round(drift_s / copy_s, 2),
        "positions_per_s": round(positions / drift_s),
        "peak_rss_mb": round(max([_peak_rss_mb(), *workers_peak]), 1),
        "peak_rss_mb_per_worker": [round(r, 1) for r in workers_peak],
        "peak_rss_mb_per_worker_all": [[round(r, 1) for r in p] for p in per_worker],
        "peak_rss_mb_parent": round(_peak_rss_mb(), 1),
        "workers": workers,
        "chunks": drift_run.expected_chunks,
        "naive_accounts": len(sample),
        "naive_s": round(naive_s, 3),
        "naive_extrapolated_s": round(naive_full, 1),
        "speedup_vs_naive": round(naive_full / drift_s, 1),
        "rounds": repeat,
        "drift_s_all": [round(d, 3) for d in drifts],
        "copy_s_all": [round(c, 3) for c in copies],
        "setup_s": round(setup_s, 1),
    }


def time_copy(firm_id: int) -> float:
    """PostgreSQL streaming the joined rows of the whole firm, discarded (psql → /dev/null)."""
    slug = Firm.objects.values_list("slug", flat=True).get(pk=firm_id)
    sql = POSITIONS_SQL % {
        "firm": firm_id,
        "first": 0,
        "last": 2**62,
        "as_of": f"'{AS_OF.isoformat()}'::date",
        "manual_source": f"'{manual_source(slug)}'",  # a slug: [-a-zA-Z0-9_] only
    }
    copy = f"COPY ({sql}) TO STDOUT (FORMAT csv)"
    psql = shutil.which("psql")
    db = connection.settings_dict
    if psql is None:
        raise BenchError("psql is needed to time the raw COPY baseline")
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    cmd = [psql, "-X", "-q", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"]]
    cmd += ["-d", db["NAME"], "-c", copy]
    # psql from PATH with our own database settings: no user input. Run once to warm
    # the cache, as the batch will find it warm too.
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)  # noqa: S603
    started = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)  # noqa: S603
    return time.perf_counter() - started


def time_batch(
    firm: Firm, workers: int, chunk_households: int
) -> tuple[float, list[tuple[int, float]], Any]:
    """Start a run and do its chunks in ``workers`` processes; the clock covers it all."""
    started = time.perf_counter()
    with acting_as(actor_label="bench_drift", role="system"):
        run, _ = drift_runs.start_run(firm, AS_OF, chunk_households=chunk_households)
    chunk_ids = drift_runs.unfinished_chunk_ids(run)
    _close_connections()  # never share a connection across fork
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_close_connections) as pool:
        rss = pool.map(_chunk_in_child, [(firm.pk, c) for c in chunk_ids], chunksize=1)
    elapsed = time.perf_counter() - started
    with firm_scope(firm):
        run.refresh_from_db()
    return elapsed, rss, run
