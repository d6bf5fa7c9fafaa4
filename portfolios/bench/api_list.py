"""List endpoints of the API at 2,000 households, page by page over real HTTP (PostgreSQL).

The firm is ``bench-api-<n>``, the batch benchmark's kind (:func:`portfolios.bench.batch.
ensure_team_firm`: an admin and two advisors; three accounts of 20 lots per household; drift
computed once), plus one draft proposal of two trades per household (bulk inserts). Reused
when present. The firm admin, who sees every household, calls with a read-only API token.

Each list endpoint is walked from its first page, following ``next`` (cursor pagination,
the default page size), for at most ``max_pages`` pages, on a gunicorn server
(:func:`portfolios.bench.http_load.gunicorn`); every page is timed at the client, warm (one
untimed walk first). Queries are counted in this process with Django's test client on the
first page and on the last page walked (its cursor taken from the HTTP walk): a list whose
count grows with the page (an N+1) shows here.

Keys: ``api_list_p95_ms`` (p95 over every timed page of every endpoint), ``api_list_queries``
(the most queries any page took), then per endpoint ``pages``, ``rows``, ``p95_ms``,
``median_ms``, ``queries_first`` and ``queries_last``; ``errors`` counts pages not answered 200.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from advisory.api import tokens
from advisory.models import Account, Household, Membership, TokenScope
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError, p95
from portfolios.bench.batch import ensure_team_firm
from portfolios.bench.http_load import HOST, gunicorn
from portfolios.models import Proposal, ProposedTrade, TaxLot

AS_OF = dt.date(2025, 12, 31)
# The lists a CRM or reporting tool pages through; one that does not exist (yet) is skipped.
ENDPOINTS = ("households", "clients", "accounts", "positions", "proposals", "drift-snapshots")


@dataclass(frozen=True)
class Settings:
    database_url: str
    households: int = 2_000
    max_pages: int = 40  # per endpoint (positions alone are 2,400 pages of 50)
    workers: int = 2
    threads: int = 2


def api_slug(households: int) -> str:
    return f"bench-api-{households}"


def ensure_api_firm(households: int) -> Membership:
    """The firm (built if missing) with a draft proposal per household; returns its admin."""
    _, people = ensure_team_firm(
        api_slug(households), f"API benchmark {households:,}", households, 2, AS_OF
    )
    admin = people["admin"]
    with firm_scope(admin.firm):
        if not Proposal.objects.exists():
            _proposals(admin)
    return admin


def _proposals(admin: Membership) -> None:
    """One draft of two trades (a sell and a buy in its first account) per household."""
    firm = admin.firm
    first_account: dict[int, Account] = {}
    for account in Account.objects.order_by("pk"):
        first_account.setdefault(account.household_id, account)
    lots: dict[int, int] = {}
    for lot in TaxLot.objects.order_by("pk").only("account_id", "security_id"):
        lots.setdefault(lot.account_id, lot.security_id)
    with transaction.atomic():
        proposals = Proposal.objects.bulk_create(
            Proposal(
                firm=firm,
                household_id=household_id,
                mode="to_target",
                author=admin.user,
                inputs_fingerprint="0" * 64,
                as_of=AS_OF,
                total_value=Decimal("100000.00"),
            )
            for household_id in sorted(first_account)
        )
        trades = []
        for proposal in proposals:
            account = first_account[proposal.household_id]
            security = lots[account.pk]
            for position, side in enumerate(("sell", "buy")):
                trades.append(
                    ProposedTrade(
                        firm=firm,
                        proposal=proposal,
                        account=account,
                        security_id=security,
                        side=side,
                        quantity=Decimal("1"),
                        price=Decimal("100.00"),
                        value=Decimal("100.00"),
                        position=position,
                    )
                )
        ProposedTrade.objects.bulk_create(trades)


def _token(admin: Membership) -> str:
    with firm_scope(admin.firm):
        _, secret = tokens.create_token(
            membership=admin, name="bench_api", scope=TokenScope.READ, days=1
        )
    return secret


class TokenClient:
    """One kept-alive connection sending the token, as an integration paging a list does."""

    def __init__(self, port: int, secret: str) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {secret}", "User-Agent": "ballast-bench"}
        self._conn: http.client.HTTPConnection | None = None

    def get(self, path: str) -> tuple[int, bytes, float]:
        """(status, body, milliseconds) of one GET."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(HOST, self.port, timeout=300)
        started = time.perf_counter()
        self._conn.request("GET", path, headers=self.headers)
        raw = self._conn.getresponse()
        body = raw.read()
        ms = (time.perf_counter() - started) * 1000
        if raw.will_close:
            self.close()
        return raw.status, body, ms

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _walk(client: TokenClient, path: str, max_pages: int) -> tuple[list[float], int, str, int]:
    """Page through a list: (ms per page, rows, the last page's path, pages not 200)."""
    times: list[float] = []
    rows = errors = 0
    last = path
    while path and len(times) < max_pages:
        status, raw, ms = client.get(path)
        times.append(ms)
        if status != 200:
            errors += 1
            break
        body = json.loads(raw)
        rows += len(body.get("results", []))
        last = path
        following = body.get("next")
        path = _path_of(following) if following else ""
    return times, rows, last, errors


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _queries(secret: str, path: str) -> int:
    client = Client()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {secret}")
    if response.status_code != 200:
        raise BenchError(f"{path} answered {response.status_code} in process")
    return len(captured)


def run(cfg: Settings) -> dict[str, Any]:
    if connection.vendor != "postgresql":
        raise BenchError("bench_api needs PostgreSQL: set DATABASE_URL.")
    started = time.perf_counter()
    admin = ensure_api_firm(cfg.households)
    secret = _token(admin)
    with firm_scope(admin.firm):
        households = Household.objects.count()
    results: dict[str, dict[str, Any]] = {}
    skipped: list[str] = []
    all_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        serving = gunicorn(
            cfg.database_url, workers=cfg.workers, threads=cfg.threads, log=Path(tmp) / "g.log"
        )
        with serving as port:
            client = TokenClient(port, secret)
            setup_s = time.perf_counter() - started
            for name in ENDPOINTS:
                first = f"/api/v1/{name}/"
                if client.get(first)[0] == 404:
                    skipped.append(name)
                    continue
                _walk(client, first, cfg.max_pages)  # warm: caches, connections, code paths
                times, rows, last, errors = _walk(client, first, cfg.max_pages)
                all_times += times
                results[name] = {
                    "pages": len(times),
                    "rows": rows,
                    "p95_ms": round(p95(times), 1),
                    "median_ms": round(statistics.median(times), 1),
                    "queries_first": _queries(secret, first),
                    "queries_last": _queries(secret, last),
                    "errors": errors,
                }
            client.close()
    if not results:
        raise BenchError("no API list endpoint answered")
    return {
        "bench": "api_list",
        "api_list_p95_ms": round(p95(all_times), 1),
        "api_list_queries": max(
            max(r["queries_first"], r["queries_last"]) for r in results.values()
        ),
        "queries_constant": all(r["queries_first"] == r["queries_last"] for r in results.values()),
        "households": households,
        "errors": sum(r["errors"] for r in results.values()),
        "endpoints": results,
        "skipped": skipped,
        "setup_s": round(setup_s, 1),
    }
