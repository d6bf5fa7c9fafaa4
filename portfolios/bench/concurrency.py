"""Household pages under load, alone and during a firm's 25,000-lot position import.

Over real HTTP (:mod:`portfolios.bench.http_load`): gunicorn serves ``config.wsgi`` from
the bench database; one client per advisor of the firm
(:mod:`portfolios.bench.concurrency_data`) signs in through the login form and opens the
household pages of its own book in turn, with a think time between pages. Every such
page appends a ``household.viewed`` event to the firm's audit chain, so it needs the
firm's chain lock for a moment.

Rounds alternate (solo, concurrent) ``rounds`` times:

- solo: the page load alone for ``seconds``;
- concurrent: the same page load from the moment the firm admin posts a position file
  to the Imports page until the import's answer arrives. The two files alternate, so
  every import replaces every account it names.

Reported: per phase the median over rounds of each round's page p95, the import's
duration, and the audit chain verified afterwards.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisory.audit import ChainReport, verify_chain
from advisory.models import AuditEvent, Firm
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError, p95
from portfolios.bench.concurrency_data import (
    BENCH_PASSWORD,
    Book,
    HttpFirm,
    ensure_http_firm,
    holds_variant,
    position_files,
)
from portfolios.bench.http_load import PageClient, Session, gunicorn

AS_OF = dt.date(2025, 12, 31)
WARMUP_PAGES = 3


@dataclass(frozen=True)
class Settings:
    database_url: str
    advisors: int = 20
    households_per_advisor: int = 25
    lots: int = 25_000
    rounds: int = 3
    seconds: float = 15.0  # a solo round
    max_seconds: float = 180.0  # a concurrent round at most (it lasts as long as the import)
    max_requests: int = 500  # per client and round
    think_ms: tuple[int, int] = (1000, 3000)  # uniform, between a page's answer and the next
    keep_alive: bool = False  # False: a connection per request, as behind a reverse proxy
    # Six processes of two threads on 2 cores: an import runs in one process and holds its
    # GIL, so fewer threads per process leave fewer pages queued behind it (4x4: p95 ~310 ms,
    # 6x2: ~265 ms during the import, same solo figures).
    workers: int = 6
    threads: int = 2
    seed: int = 7
    server_log: Path | None = None  # keep gunicorn's output, with an access log, there


def run(cfg: Settings) -> dict[str, Any]:
    """The whole benchmark; returns the JSON-ready result."""
    started = time.perf_counter()
    bench = ensure_http_firm(cfg.advisors, cfg.households_per_advisor, AS_OF)
    files = position_files(bench.firm, cfg.lots)
    variant = 1 if holds_variant(bench.firm, files) == 0 else 0
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        log = cfg.server_log or Path(tmp) / "gunicorn.log"
        serving = gunicorn(
            cfg.database_url,
            workers=cfg.workers,
            threads=cfg.threads,
            log=log,
            access_log=cfg.server_log is not None,
        )
        with serving as port:
            clients, admin, token = _sign_in(bench, port, cfg)
            setup_s = time.perf_counter() - started
            solo, concurrent = [], []
            for _ in range(cfg.rounds):
                solo.append(_solo_round(clients, cfg))
                concurrent.append(
                    _import_round(bench.firm, clients, admin, token, files, variant, cfg)
                )
                variant = 1 - variant
            for session in [admin, *(c.session for c in clients)]:
                session.close()
    chain = verify_chain(bench.firm)
    return _result(bench, cfg, solo, concurrent, chain, setup_s)


def _sign_in(bench: HttpFirm, port: int, cfg: Settings) -> tuple[list[PageClient], Session, str]:
    """Every advisor and the admin signed in through the form; a few warm-up pages each."""
    rng = random.Random(cfg.seed)  # noqa: S311 - think times, not security
    think = (cfg.think_ms[0] / 1000, cfg.think_ms[1] / 1000)
    clients = [
        PageClient(
            Session(port, keep_alive=cfg.keep_alive),
            book.household_ids,
            think,
            random.Random(rng.random()),  # noqa: S311
        )
        for book in bench.books
    ]
    for client in clients:  # start each client somewhere else in its book
        client.position = rng.randrange(len(client.household_ids))

    def warm(pair: tuple[Book, PageClient]) -> None:
        book, client = pair
        client.session.login(book.email, BENCH_PASSWORD)
        for _ in range(WARMUP_PAGES):
            household = client.household_ids[client.position % len(client.household_ids)]
            client.position += 1
            response = client.session.get(f"/households/{household}/")
            if response.status != 200:
                raise BenchError(f"warm-up page answered {response.status}")

    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(warm, zip(bench.books, clients, strict=True)))
    admin = Session(port)
    admin.login(bench.admin_email, BENCH_PASSWORD)
    token = admin.csrf_token("/imports/")
    return clients, admin, token


def _drive(
    clients: list[PageClient], stop: threading.Event, seconds: float, cap: int
) -> list[threading.Thread]:
    deadline = time.monotonic() + seconds
    for client in clients:
        client.samples = []
    threads = [
        threading.Thread(target=c.run, args=(stop, deadline, cap), daemon=True) for c in clients
    ]
    for thread in threads:
        thread.start()
    return threads


def _collect(clients: list[PageClient], threads: list[threading.Thread]) -> dict[str, Any]:
    for thread in threads:
        thread.join()
    samples = [s for c in clients for s in c.samples]
    times = [ms for ms, _ in samples]
    return {
        "requests": len(samples),
        "errors": sum(1 for _, status in samples if status != 200),
        "p50_ms": statistics.median(times) if times else math.nan,
        "p95_ms": p95(times) if times else math.nan,
        "max_ms": max(times, default=math.nan),
    }


def _solo_round(clients: list[PageClient], cfg: Settings) -> dict[str, Any]:
    stop = threading.Event()
    threads = _drive(clients, stop, cfg.seconds, cfg.max_requests)
    return _collect(clients, threads)


def _import_round(
    firm: Firm,
    clients: list[PageClient],
    admin: Session,
    token: str,
    files: tuple[bytes, bytes],
    variant: int,
    cfg: Settings,
) -> dict[str, Any]:
    """The page load for as long as the firm admin's upload of a position file takes."""
    with firm_scope(firm):
        last_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    stop = threading.Event()
    threads = _drive(clients, stop, cfg.max_seconds, cfg.max_requests)
    started = time.perf_counter()
    try:
        fields = {"csrfmiddlewaretoken": token, "preset": "generic"}
        response = admin.post_file(
            "/imports/positions/", fields, f"positions-{variant}.csv", files[variant]
        )
        if response.status == 302:  # staged: wait for the preview, then confirm it
            response = _confirm_import(admin, token, response.location, cfg.max_seconds)
    finally:
        import_s = time.perf_counter() - started
        stop.set()
    pages = _collect(clients, threads)
    outcome = _import_outcome(firm, last_seq, cfg.lots)
    pages["errors"] += int(response.status != 200) + int(not outcome["import_ok"])
    return {**pages, "import_s": import_s, **outcome}


def _confirm_import(admin: Session, token: str, page: str, max_seconds: float) -> Any:
    """The Imports page stages a position file for preview; confirm it as the admin would
    and wait until it is applied (large files are checked and applied by a task)."""
    path = "/" + page.split("/", 3)[-1] if page.startswith("http") else page
    deadline = time.monotonic() + max_seconds
    confirmed = False
    while time.monotonic() < deadline:
        body = admin.get(path).body.decode()
        if not confirmed and "/confirm/" in body:
            admin.post_form(f"{path}confirm/", {"csrfmiddlewaretoken": token})
            confirmed = True
        elif any(
            end in body
            for end in ("Applied:", "Nothing was written", "Out of date", "could not be processed")
        ):
            return admin.get(path)
        else:
            time.sleep(0.2)
    raise BenchError(f"the position import at {path} did not finish in {max_seconds} s")


def _import_outcome(firm: Firm, after_seq: int, lots: int) -> dict[str, Any]:
    """What the import's audit events say: lots written, accounts replaced."""
    with firm_scope(firm):
        events = list(
            AuditEvent.objects.filter(
                seq__gt=after_seq, action__in=("positions.imported", "positions.import")
            )
            .order_by("seq")
            .values_list("action", "changes")
        )
    file_events = [e for e in events if e[0] == "positions.import"]
    replaced = [e for e in events if e[0] == "positions.imported"]
    summary = file_events[-1][1] if file_events else {}
    ok = (
        len(file_events) == 1
        and summary.get("lots") == lots
        and summary.get("errors") == 0
        and summary.get("accounts") == len(replaced)
    )
    return {"import_ok": ok, "accounts_replaced": len(replaced)}


def _med(rounds: list[dict[str, Any]], key: str, digits: int = 1) -> float:
    return round(statistics.median(r[key] for r in rounds), digits)


def _result(
    bench: HttpFirm,
    cfg: Settings,
    solo: list[dict[str, Any]],
    concurrent: list[dict[str, Any]],
    chain: ChainReport,
    setup_s: float,
) -> dict[str, Any]:
    households = sum(len(b.household_ids) for b in bench.books)
    return {
        "pages_concurrent_p95_ms": _med(concurrent, "p95_ms"),
        "pages_solo_p95_ms": _med(solo, "p95_ms"),
        "import_s": _med(concurrent, "import_s", 2),
        "clients": len(bench.books),
        "requests_solo": sum(r["requests"] for r in solo),
        "requests_concurrent": sum(r["requests"] for r in concurrent),
        "errors": sum(r["errors"] for r in (*solo, *concurrent)),
        "chain_ok": chain.ok,
        "chain_events": chain.checked,
        "pages_concurrent_p50_ms": _med(concurrent, "p50_ms"),
        "pages_solo_p50_ms": _med(solo, "p50_ms"),
        "pages_concurrent_max_ms": round(max(r["max_ms"] for r in concurrent), 1),
        "pages_solo_max_ms": round(max(r["max_ms"] for r in solo), 1),
        "import_lots": cfg.lots,
        "import_accounts": statistics.median(r["accounts_replaced"] for r in concurrent),
        "rounds": cfg.rounds,
        "solo_p95_ms_all": [round(r["p95_ms"], 1) for r in solo],
        "concurrent_p95_ms_all": [round(r["p95_ms"], 1) for r in concurrent],
        "import_s_all": [round(r["import_s"], 2) for r in concurrent],
        "households": households,
        "accounts": bench.accounts,
        "firm_lots": bench.lots,
        "server": f"gunicorn config.wsgi gthread {cfg.workers} workers x {cfg.threads} threads",
        "think_ms": list(cfg.think_ms),
        "connections": "keep-alive" if cfg.keep_alive else "one per request",
        "solo_round_s": cfg.seconds,
        "setup_s": round(setup_s, 1),
    }
