"""The model-change preview benchmark behind ``manage.py bench_preview`` (one JSON line).

Workload: the drift benchmark's firm (:mod:`portfolios.bench.drift_data`: 50,000 households
of 2 accounts, 25 lots per account = 2.5 M lots, one 45/15/20/17/3 class model), and a draft
of that model that raises small caps and trims large caps (40/20/20/17/3), so nearly every
household trades.

``preview_s`` is end to end, from the click to the stored result: ``start_preview`` (what
the POST does: the preview, its chunks, the audit event), then every chunk in --workers
forked processes (as Celery worker children would: load, propose() per household, write
the rows, mark done), and the totals when the last chunk finishes. ``preview_engine_s`` is
the time inside propose() summed over the chunks (both workers), ``preview_engine_share``
that over the workers' wall time (workers × preview_s). Rounds repeat the whole preview
(the previous one deleted first, untimed); medians are reported.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import resource
import statistics
import time
from decimal import Decimal
from typing import Any

from django.db import connection, connections, transaction

from advisory.models import Account, Household, Membership
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios import model_versions as mv
from portfolios.bench import BenchError
from portfolios.bench.drift_data import ensure_bench_firm
from portfolios.model_previews import runs as preview_runs
from portfolios.model_versions.lines import Line
from portfolios.models import AssetClass, ModelPortfolio, ModelPreview, ModelVersion
from portfolios.rebalance.types import Options

AS_OF = dt.date(2025, 12, 31)
DRAFT_WEIGHTS = {  # class slug → draft weight (the live model is 45/15/20/17/3)
    "us-large-cap": Decimal(40),
    "us-small-cap": Decimal(20),
    "international": Decimal(20),
    "fixed-income": Decimal(17),
    "cash": Decimal(3),
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _chunk_in_child(args: tuple[int, int]) -> float:
    firm_id, chunk_id = args
    preview_runs.note_attempt(firm_id, chunk_id)
    preview_runs.process_chunk(firm_id, chunk_id)
    return _peak_rss_mb()


def _close_connections() -> None:
    connections.close_all()


def ensure_draft(firm_id: int) -> tuple[ModelVersion, Membership]:
    """The bench model's draft (made once), and the bench advisor who previews it."""
    with firm_scope(firm_id):
        model = ModelPortfolio.objects.get()
        advisor = Membership.objects.select_related("user").get(role="advisor")
        draft = mv.open_draft(model)
        if draft is None:
            classes = {c.slug: c.pk for c in AssetClass.objects.all()}
            lines = [Line(classes[slug], None, w) for slug, w in DRAFT_WEIGHTS.items()]
            draft = mv.save_draft(
                model=model,
                lines=lines,
                summary="Small caps up after the large-cap run",
                actor=advisor.user,
                expected_version=None,
            )
        return draft, advisor


def run(*, accounts: int, per_account: int, workers: int, chunk: int, repeat: int) -> dict:
    """The benchmark as ``bench_preview`` runs it (its options, same names)."""
    if connection.vendor != "postgresql":
        raise BenchError("bench_preview needs PostgreSQL: set DATABASE_URL.")
    firm = ensure_bench_firm(accounts, per_account, AS_OF)
    draft, advisor = ensure_draft(firm.pk)
    with firm_scope(firm):
        households = Household.objects.count()
        n_accounts = Account.objects.count()
    times, engines, rss, last = [], [], [], None
    for _ in range(repeat):
        with firm_scope(firm), transaction.atomic():
            ModelPreview.objects.filter(version=draft).delete()  # untimed
        elapsed, peaks, last = time_preview(firm, draft, advisor, workers, chunk)
        with firm_scope(firm):
            rows = last.rows.count()
        if last.state != "complete" or rows != households:
            raise BenchError(f"the preview ended {last.state} with {rows} rows: {last.errors}")
        times.append(elapsed)
        engines.append(float(last.engine_seconds))
        rss += peaks
    preview_s, engine_s = statistics.median(times), statistics.median(engines)
    totals = last.totals["firm"]
    return {
        "preview_accounts": n_accounts,
        "preview_households": households,
        "preview_s": round(preview_s, 2),
        "preview_engine_s": round(engine_s, 2),
        "preview_engine_share": round(engine_s / (workers * preview_s), 2),
        "preview_trading": totals["trading"],
        "preview_failed": totals["failed"],
        "preview_turnover": totals["turnover"],
        "preview_realized_short_term": totals["realized_short_term"],
        "preview_realized_long_term": totals["realized_long_term"],
        "workers": workers,
        "chunks": last.expected_chunks,
        "peak_rss_mb_per_worker": round(max(rss), 1),
        "rounds": repeat,
        "preview_s_all": [round(t, 2) for t in times],
    }


def time_preview(
    firm: Any, draft: ModelVersion, advisor: Membership, workers: int, chunk: int
) -> tuple[float, list[float], ModelPreview]:
    """Start a preview and do its chunks in ``workers`` processes; the clock covers it all."""
    started = time.perf_counter()
    with acting_as(actor=advisor.user, actor_label=advisor.user.email, role=advisor.role):
        preview, _ = preview_runs.start_preview(
            firm=firm,
            version=draft,
            user=advisor.user,
            options=Options(mode="to_target", as_of=AS_OF),
            chunk_households=chunk,
        )
    chunk_ids = preview_runs.unfinished_chunk_ids(preview)
    _close_connections()  # never share a connection across fork
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_close_connections) as pool:
        peaks = pool.map(_chunk_in_child, [(firm.pk, c) for c in chunk_ids], chunksize=1)
    elapsed = time.perf_counter() - started
    with firm_scope(firm):
        preview.refresh_from_db()
    return elapsed, peaks, preview
