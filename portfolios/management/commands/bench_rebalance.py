"""Benchmark the rebalance engine (:func:`portfolios.rebalance.propose`) in memory.

No database: every input is synthetic and built in-process
(:mod:`portfolios.bench_rebalance_data`), so it runs with any DATABASE_URL. Prints one JSON
line:

- ``household_median_ms`` / ``household_p95_ms``: one 6-account, 300-lot household,
  ``propose()`` timed --runs times (to_target) after 3 warm-ups.
- ``batch_households`` / ``batch_s``: that many breached households (one seed each) proposed
  one after the other in this process (the engine part of a batch only).
- ``peer_accounts`` / ``ours_s`` / ``realloc_s`` / ``trades_differing``: the appendix C
  workload (single-account portfolios × 25 funds) through our engine with per-security targets
  and through realloc 0.1.5.2, compared per (account, symbol) as signed share counts; for each
  differing cell, which side misses the exact Decimal answer floor(w × total / price − q).
"""

from __future__ import annotations

import json
import math
import statistics
import time
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal, localcontext
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portfolios.bench_rebalance_data import (
    household,
    peer_input,
    peer_securities,
    peer_targets,
    peer_workload,
)
from portfolios.rebalance import propose
from portfolios.rebalance_types import ProposalInput

WARMUPS = 3
PEER_NOTE = (
    "Like for like: one security target per fund (weight = fund weight x100), mode to_target, "
    "whole shares, no reserve, no minimum trade; bands are zero-width (abs_band=rel_band=0) "
    "because to_target only trades when some bucket is breached, and zero bands make every "
    "drifted account breached so every position trades to target (wide bands would trade "
    "nothing). The cash balance falls in 'Outside the model' (target 0), as in realloc where "
    "cash is simply invested. Rounding differs by design: realloc and the exact rule floor the "
    "signed trade, so a sale rounds away from zero (sells one share past the target and leaves "
    "the rest in cash); our to_target rounds every trade's share count toward zero (never "
    "past a target, docs/rebalancing.md), so on fractional sells ours is one share smaller. "
    "ours_rule_cells_wrong checks ours against its own rule, trunc(w*total/price - q) in "
    "Decimal; where it misses, it is a buy cut short by cash (ours_buys_cut_by_cash): sells "
    "rounded toward zero raise a little less than the buys need, and rule 1 (never negative "
    "cash) trims the last buys in bucket order (the smallest targets, the $1 cash funds "
    "first). *_exact_cells_wrong count, among differing cells, misses of the floor rule."
)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _signed(proposal) -> dict[tuple[int, str], int]:
    cells: dict[tuple[int, str], int] = {}
    for t in proposal.trades:
        key = (t.account_id, t.symbol)
        qty = int(t.quantity) if t.side == "buy" else -int(t.quantity)
        cells[key] = cells.get(key, 0) + qty
    return cells


class Command(BaseCommand):
    help = "Benchmark propose() in memory (no database) and against realloc; prints JSON."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--runs", type=int, default=50)
        parser.add_argument("--batch", type=int, default=1_000)
        parser.add_argument("--peer-accounts", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **opts: Any) -> None:
        seed = opts["seed"]
        result: dict[str, Any] = {"seed": seed}
        result |= self.household_timing(seed, opts["runs"])
        result |= self.batch(seed, opts["batch"])
        result |= self.peers(seed, opts["peer_accounts"])
        self.stdout.write(json.dumps(result))

    def household_timing(self, seed: int, runs: int) -> dict[str, Any]:
        data = household(seed)
        for _ in range(WARMUPS):
            proposal = propose(data)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            proposal = propose(data)
            times.append((time.perf_counter() - started) * 1000)
        if not proposal.trades:
            raise CommandError("the synthetic household is not breached: nothing was timed")
        return {
            "household_median_ms": round(statistics.median(times), 2),
            "household_p95_ms": round(_p95(times), 2),
            "household_runs": runs,
            "household_lots": sum(len(a.lots) for a in data.accounts),
            "household_trades": len(proposal.trades),
        }

    def batch(self, seed: int, count: int) -> dict[str, Any]:
        inputs = [household(seed * 100_000 + n, household_id=n) for n in range(count)]
        with_trades = 0
        started = time.perf_counter()
        for data in inputs:
            with_trades += bool(propose(data).trades)
        batch_s = time.perf_counter() - started
        return {
            "batch_households": count,
            "batch_s": round(batch_s, 3),
            "batch_with_trades": with_trades,
            "batch_note": (
                "engine only: propose() on prebuilt in-memory inputs, one process; a real batch "
                "adds loading from the database and storing the proposals"
            ),
        }

    def peers(self, seed: int, count: int) -> dict[str, Any]:
        try:
            from realloc import (
                Account,
                PortfolioAllocator,
                PortfolioModel,
                compute_portfolio_trades,
            )
        except ImportError as exc:  # pragma: no cover - realloc is a dev-only peer
            raise CommandError("realloc (the peer) is not installed in this environment") from exc

        work = peer_workload(count, seed)
        securities, targets = peer_securities(work), peer_targets(work)
        build_started = time.perf_counter()
        inputs: list[ProposalInput] = [
            peer_input(work, a, securities, targets) for a in work.accounts
        ]
        build_s = time.perf_counter() - build_started

        ours: dict[tuple[int, str], int] = {}
        started = time.perf_counter()
        proposals = [propose(data) for data in inputs]
        ours_s = time.perf_counter() - started
        for proposal in proposals:
            ours |= _signed(proposal)

        weights = {f.symbol: float(f.weight) for f in work.funds}
        prices = {f.symbol: float(f.price) for f in work.funds}
        started = time.perf_counter()
        accounts = [
            Account("acct", str(a.account_id), float(a.cash), dict(a.positions))
            for a in work.accounts
        ]
        targets_of = PortfolioAllocator(
            accounts, PortfolioModel("M", weights), prices
        ).compute_target_positions()
        theirs_raw = {
            a.account_number: compute_portfolio_trades(a.positions, targets_of[a.account_number])
            for a in accounts
        }
        realloc_s = time.perf_counter() - started
        theirs = {
            (int(aid), sym): qty
            for aid, trades in theirs_raw.items()
            for sym, qty in trades.items()
        }

        differing = ours_wrong = realloc_wrong = ours_rule_wrong = ours_cash_cut = 0
        examples = []
        with localcontext() as context:
            context.prec = 60
            for a in work.accounts:
                total = a.cash + sum(
                    (Decimal(q) * f.price for f in work.funds for q in [a.positions[f.symbol]]),
                    Decimal(0),
                )
                for f in work.funds:
                    key = (a.account_id, f.symbol)
                    mine, peer = ours.get(key, 0), theirs.get(key, 0)
                    gap = f.weight * total / f.price - a.positions[f.symbol]
                    # Our engine's own rule: whole shares toward zero, never past the target.
                    rule = int(gap.to_integral_value(ROUND_DOWN))
                    ours_rule_wrong += mine != rule
                    ours_cash_cut += 0 <= mine < rule
                    if mine == peer:
                        continue
                    differing += 1
                    exact = int(gap.to_integral_value(ROUND_FLOOR))
                    ours_wrong += mine != exact
                    realloc_wrong += peer != exact
                    if len(examples) < 5:
                        examples.append(
                            {
                                "account": a.account_id,
                                "symbol": f.symbol,
                                "ours": mine,
                                "realloc": peer,
                                "exact": exact,
                            }
                        )
        cells = len(work.accounts) * len(work.funds)
        return {
            "peer_accounts": len(work.accounts),
            "peer_cells": cells,
            "ours_s": round(ours_s, 3),
            "ours_build_s": round(build_s, 3),
            "realloc_s": round(realloc_s, 3),
            "ours_vs_realloc": round(ours_s / realloc_s, 1) if realloc_s else None,
            "ours_trades": sum(1 for v in ours.values() if v),
            "realloc_trades": sum(1 for v in theirs.values() if v),
            "trades_differing": differing,
            "ours_exact_cells_wrong": ours_wrong,
            "realloc_exact_cells_wrong": realloc_wrong,
            "ours_rule_cells_wrong": ours_rule_wrong,
            "ours_buys_cut_by_cash": ours_cash_cut,
            "differing_examples": examples,
            "peer_note": PEER_NOTE,
        }
