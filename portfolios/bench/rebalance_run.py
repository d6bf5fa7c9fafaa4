"""The rebalance benchmark behind ``manage.py bench_rebalance`` (one JSON line of these keys).

- ``household_median_ms`` / ``household_p95_ms``: one 6-account, 300-lot household,
  ``propose()`` timed --runs times (to_target) after 3 warm-ups, in memory.
- ``engine_batch_*``: --batch synthetic households through ``propose()`` in memory, one
  process (the engine's share of a batch).
- ``batch_households`` / ``batch_s`` (PostgreSQL, :mod:`portfolios.bench.batch`): a batch
  proposal for one advisor's --batch breached households end to end: start_batch, then the
  ``propose_batch`` task bodies in --workers forked processes, until every draft and audit
  event is committed.
- ``home_*`` (PostgreSQL): the advisor home for a firm admin who sees 2 × --batch households,
  server time in this process (Django's test client) over --runs requests, and its queries.
- ``peer_accounts`` / ``ours_s`` / ``realloc_s`` / ``trades_differing``: the appendix C
  workload (single-account portfolios × 25 funds, to target) through our book path
  (:func:`portfolios.rebalance.book.trades_to_target`) and through realloc 0.1.5.2, each timed
  from the workload to its trades (median of 3 interleaved rounds), compared per (account,
  symbol) as signed share counts, and every cell of both checked against the exact Decimal
  answer floor(w × total / price − q). ``engine_sample_*``: the general engine
  (:func:`portfolios.rebalance.engine.propose`) on the first accounts of the same workload.
"""

from __future__ import annotations

import datetime as dt
import operator
import statistics
import time
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal, localcontext
from typing import Any

import numpy as np
from django.db import connection

from portfolios.bench import BenchError, p95
from portfolios.bench.batch import ensure_batch_firm, time_advisor_home, time_batch
from portfolios.bench.rebalance_data import (
    PeerWorkload,
    household,
    peer_input,
    peer_securities,
    peer_targets,
    peer_workload,
)
from portfolios.rebalance.book import Book, trades_to_target
from portfolios.rebalance.engine import propose
from portfolios.rebalance.types import ProposalInput

WARMUPS = 3
BATCH_AS_OF = dt.date(2025, 12, 31)
PEER_ROUNDS = 3  # ours and realloc interleaved, medians reported (the machine is noisy)
ENGINE_SAMPLE = 1_000  # accounts of the workload also run through propose()
PEER_NOTE = (
    "Like for like: one model of 25 per-security weights, every account traded to target, "
    "whole shares, floor(w*total/price - q) per cell, the rest left in cash. ours_s and "
    "realloc_s each run from the in-memory workload to the trades: ours builds the Book "
    "(Decimal weights, prices and cash, an int64 holdings matrix) and runs "
    "trades_to_target (exact integers: prices and cash in cents, weights over 10^k; "
    "ours_compute_s is that step alone); realloc builds its Account objects (float cash) and "
    "runs compute_target_positions() + compute_portfolio_trades() in float. "
    "*_exact_cells_wrong count, over every cell, misses of the floor rule computed in "
    "60-digit Decimal; realloc's are cells where w*total/price - q is a whole number and float "
    "lands just below it. engine_sample_*: the general per-household engine propose() "
    "(bands, lots, gains, reasons; Decimal) on the first accounts with per-security targets "
    "and zero-width bands; it follows its own rule, not the floor rule: to_target rounds "
    "every trade toward zero (a sale stops short of the target instead of one share past "
    "it) and then trims the last buys when those smaller sales leave too little cash."
)


def _signed(proposal) -> dict[tuple[int, str], int]:
    cells: dict[tuple[int, str], int] = {}
    for t in proposal.trades:
        key = (t.account_id, t.symbol)
        qty = int(t.quantity) if t.side == "buy" else -int(t.quantity)
        cells[key] = cells.get(key, 0) + qty
    return cells


def _book_of(work: PeerWorkload) -> Book:
    """The workload as a Book: one column per fund, one row per account, in order."""
    symbols = tuple(f.symbol for f in work.funds)
    holdings = operator.itemgetter(*symbols)
    return Book(
        symbols=symbols,
        weights=tuple(f.weight for f in work.funds),
        prices=tuple(f.price for f in work.funds),
        account_ids=tuple(a.account_id for a in work.accounts),
        quantities=np.array([holdings(a.positions) for a in work.accounts], dtype=np.int64),
        cash=tuple(a.cash for a in work.accounts),
    )


def _realloc_trades(realloc: Any, work: PeerWorkload) -> dict[str, dict[str, int]]:
    """realloc's trades for every account, from the workload (appendix C adapter)."""
    weights = {f.symbol: float(f.weight) for f in work.funds}
    prices = {f.symbol: float(f.price) for f in work.funds}
    accounts = [
        realloc.Account("acct", str(a.account_id), float(a.cash), dict(a.positions))
        for a in work.accounts
    ]
    targets = realloc.PortfolioAllocator(
        accounts, realloc.PortfolioModel("M", weights), prices
    ).compute_target_positions()
    return {
        a.account_number: realloc.compute_portfolio_trades(a.positions, targets[a.account_number])
        for a in accounts
    }


def _gaps(work: PeerWorkload) -> list[list[Decimal]]:
    """w × total / price − q per cell in 60-digit Decimal: the reference, independent of both
    implementations (exact for these inputs: the quotients need fewer than 40 digits)."""
    rows = []
    with localcontext(prec=60):
        for a in work.accounts:
            total = a.cash + sum((a.positions[f.symbol] * f.price for f in work.funds), Decimal(0))
            rows.append([f.weight * total / f.price - a.positions[f.symbol] for f in work.funds])
    return rows


def _floor(gaps: list[list[Decimal]]) -> np.ndarray:
    return np.array(
        [[int(g.to_integral_value(ROUND_FLOOR)) for g in row] for row in gaps], dtype=np.int64
    )


def _engine_sample(work: PeerWorkload, count: int) -> dict[str, Any]:
    """propose() on the first ``count`` accounts, cells compared with the floor rule."""
    sample = PeerWorkload(work.funds, work.accounts[:count])
    securities, targets = peer_securities(sample), peer_targets(sample)
    inputs: list[ProposalInput] = [
        peer_input(sample, a, securities, targets) for a in sample.accounts
    ]
    started = time.perf_counter()
    proposals = [propose(data) for data in inputs]
    engine_s = time.perf_counter() - started
    cells: dict[tuple[int, str], int] = {}
    for proposal in proposals:
        cells |= _signed(proposal)
    off_rule = toward_zero = buys_cut = 0
    for a, row in zip(sample.accounts, _gaps(sample), strict=True):
        for f, gap in zip(sample.funds, row, strict=True):
            mine = cells.get((a.account_id, f.symbol), 0)
            if mine == int(gap.to_integral_value(ROUND_FLOOR)):
                continue
            off_rule += 1
            trunc = int(gap.to_integral_value(ROUND_DOWN))
            toward_zero += gap < 0 and mine == trunc
            buys_cut += 0 <= mine < trunc
    return {
        "engine_sample_accounts": len(sample.accounts),
        "engine_sample_s": round(engine_s, 3),
        "engine_sample_ms_per_account": round(engine_s * 1000 / max(1, len(inputs)), 2),
        "engine_sample_cells_off_floor_rule": off_rule,
        "engine_sample_sells_toward_zero": toward_zero,
        "engine_sample_buys_cut_by_cash": buys_cut,
    }


def run(
    *, seed: int, runs: int, batch_size: int, peer_accounts: int, workers: int, engine_only: bool
) -> dict[str, Any]:
    """Every part in order; the database parts only on PostgreSQL (or skipped, engine_only)."""
    result: dict[str, Any] = {"seed": seed}
    result |= household_timing(seed, runs)
    result |= engine_batch(seed, batch_size)
    if connection.vendor == "postgresql":
        result |= batch(batch_size, workers)
        result |= advisor_home(2 * batch_size, runs)
    elif not engine_only:
        raise BenchError(
            "the batch and advisor-home timings need PostgreSQL: set DATABASE_URL "
            "(or pass --engine-only)"
        )
    result |= peers(seed, peer_accounts)
    return result


def household_timing(seed: int, runs: int) -> dict[str, Any]:
    data = household(seed)
    for _ in range(WARMUPS):
        proposal = propose(data)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proposal = propose(data)
        times.append((time.perf_counter() - started) * 1000)
    if not proposal.trades:
        raise BenchError("the synthetic household is not breached: nothing was timed")
    return {
        "household_median_ms": round(statistics.median(times), 2),
        "household_p95_ms": round(p95(times), 2),
        "household_runs": runs,
        "household_lots": sum(len(a.lots) for a in data.accounts),
        "household_trades": len(proposal.trades),
    }


def engine_batch(seed: int, count: int) -> dict[str, Any]:
    inputs = [household(seed * 100_000 + n, household_id=n) for n in range(count)]
    with_trades = 0
    started = time.perf_counter()
    for data in inputs:
        with_trades += bool(propose(data).trades)
    return {
        "engine_batch_households": count,
        "engine_batch_s": round(time.perf_counter() - started, 3),
        "engine_batch_with_trades": with_trades,
    }


def batch(count: int, workers: int) -> dict[str, Any]:
    """The batch end to end on PostgreSQL: selection, inputs, engine, drafts, audit."""
    bench = ensure_batch_firm(2 * count, BATCH_AS_OF)  # two advisors: count each
    timing = time_batch(bench, BATCH_AS_OF, workers)
    return {
        "batch_households": timing["households"],
        "batch_s": round(timing["seconds"], 3),
        "batch_workers": workers,
        "batch_parts": timing["parts"],
        "batch_outcomes": timing["outcomes"],
        "batch_note": (
            "one advisor's book of breached households (3 accounts, 60 lots each) on "
            "PostgreSQL: start_batch + the propose_batch task bodies in forked worker "
            "processes, from the click to the last draft and audit event committed"
        ),
    }


def advisor_home(households: int, runs: int) -> dict[str, Any]:
    bench = ensure_batch_firm(households, BATCH_AS_OF)
    timing = time_advisor_home(bench, runs)
    return {
        "home_households": timing["households"],
        "home_rows_rendered": timing["rows"],
        "home_median_ms": round(timing["median_ms"], 1),
        "home_p95_ms": round(timing["p95_ms"], 1),
        "home_queries": timing["queries"],
    }


def peers(seed: int, count: int) -> dict[str, Any]:
    try:
        import realloc
    except ImportError as exc:  # pragma: no cover - realloc is a dev-only peer
        raise BenchError("realloc (the peer) is not installed in this environment") from exc

    work = peer_workload(count, seed)
    ours_runs, compute_runs, realloc_runs = [], [], []
    for _ in range(PEER_ROUNDS):
        started = time.perf_counter()
        book = _book_of(work)
        built = time.perf_counter()
        ours = trades_to_target(book)
        done = time.perf_counter()
        ours_runs.append(done - started)
        compute_runs.append(done - built)
        started = time.perf_counter()
        theirs_raw = _realloc_trades(realloc, work)
        realloc_runs.append(time.perf_counter() - started)

    in_book_order = operator.itemgetter(*book.symbols)
    theirs = np.array(
        [in_book_order(theirs_raw[str(aid)]) for aid in book.account_ids], dtype=np.int64
    )
    exact = _floor(_gaps(work))
    differing = np.argwhere(ours.shares != theirs)
    examples = [
        {
            "account": book.account_ids[r],
            "symbol": book.symbols[c],
            "ours": int(ours.shares[r, c]),
            "realloc": int(theirs[r, c]),
            "exact": int(exact[r, c]),
        }
        for r, c in differing[:5].tolist()
    ]
    ours_s, realloc_s = statistics.median(ours_runs), statistics.median(realloc_runs)
    return {
        "peer_accounts": len(work.accounts),
        "peer_cells": int(exact.size),
        "ours_s": round(ours_s, 3),
        "ours_compute_s": round(statistics.median(compute_runs), 3),
        "realloc_s": round(realloc_s, 3),
        "realloc_over_ours": round(realloc_s / ours_s, 1) if ours_s else None,
        "ours_runs_s": [round(t, 3) for t in ours_runs],
        "realloc_runs_s": [round(t, 3) for t in realloc_runs],
        "ours_trades": int(np.count_nonzero(ours.shares)),
        "realloc_trades": int(np.count_nonzero(theirs)),
        "trades_differing": len(differing),
        "ours_exact_cells_wrong": int(np.count_nonzero(ours.shares != exact)),
        "realloc_exact_cells_wrong": int(np.count_nonzero(theirs != exact)),
        "ours_accounts_negative_cash": int(np.count_nonzero(ours.cash_after_units < 0)),
        "differing_examples": examples,
        **_engine_sample(work, ENGINE_SAMPLE),
        "peer_note": PEER_NOTE,
    }
