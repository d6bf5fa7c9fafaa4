"""The audit benchmark behind ``manage.py bench_audit`` (one JSON line of these keys).

- ``audit_search_ms`` (``_p95``, ``_all``): the audit search page (``compliance/audit/``) for
  category "Sensitive reads", a 30-day window and one advisor (by user id), as the compliance
  officer; ``audit_search_rows`` is how many events matched (the page shows 50).
- ``who_saw_what_ms`` (``_p95``, ``_all``): the who-saw-what page (``compliance/who-saw-what/``)
  for the same advisor over the same 30 days; ``who_saw_what_objects`` is how many objects the
  page listed.
- ``audit_search_all_actors_ms``: the search page for the category and window alone (every
  actor), for comparison.

  Server time: each page is requested in this process through Django's test ``Client``, the
  whole middleware stack (session, authentication, firm scope), the view, its queries and the
  template rendering, from the request in to the response out; no network, no server process.
  ``DEBUG`` off. The three pages are interleaved, --rounds times after one warm-up round;
  medians and p95s are reported. The session is created directly (no sign-in event is written,
  so the firm's chain stays as built).
- ``verify_s`` / ``verify_events_per_s``: :func:`advisory.chain.verify.verify_chain` over the
  firm's whole chain (no anchors: the configured anchor store belongs to another database),
  once; it must report OK.
- ``explain``: for each page, the audit-table queries it ran, their time under EXPLAIN ANALYZE,
  the plan's top node and the indexes it used (one extra, untimed request).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from advisory.bench.audit_data import END, AuditFirm, ensure_audit_firm
from advisory.chain.verify import verify_chain
from advisory.compliance import audit_search, filters, seen
from advisory.models import AuditEvent, User
from advisory.tenancy import firm_scope
from portfolios.bench import BenchError, p95

SEARCH_URL = "/compliance/audit/"
SEEN_URL = "/compliance/who-saw-what/"
WINDOW_DAYS = 30
CATEGORY = "read"  # "Sensitive reads"
_INDEX_RE = re.compile(
    r"(?:Index Scan|Index Only Scan)(?: Backward)? using (\w+)|Bitmap Index Scan on (\w+)"
)


def run(*, events: int, rounds: int) -> dict[str, Any]:
    """The benchmark as ``bench_audit`` runs it (its options, same names)."""
    started = time.perf_counter()
    bench = ensure_audit_firm(events)
    setup_s = time.perf_counter() - started
    actor = bench.advisors[0]
    date_to = (END - dt.timedelta(days=45)).date()  # mid-November 2025
    date_from = date_to - dt.timedelta(days=WINDOW_DAYS - 1)
    window = {"date_from": date_from.isoformat(), "date_to": date_to.isoformat()}
    urls = {
        "audit_search": _url(SEARCH_URL, category=CATEGORY, actor=actor.pk, **window),
        "who_saw_what": _url(
            SEEN_URL, actor=actor.pk, **{"from": window["date_from"], "to": window["date_to"]}
        ),
        "audit_search_all_actors": _url(SEARCH_URL, category=CATEGORY, **window),
    }
    client = signed_in(bench.officer, bench.firm.pk)
    with override_settings(DEBUG=False):
        times = time_pages(client, urls, rounds)
        explain = {name: explain_page(client, url) for name, url in urls.items()}
    counts = _counts(bench, actor, window)
    verify = time_verify(bench)
    result: dict[str, Any] = {}
    for name in urls:
        result[f"{name}_ms"] = round(statistics.median(times[name]), 1)
        result[f"{name}_ms_p95"] = round(p95(times[name]), 1)
    for name in ("audit_search", "who_saw_what"):
        result[f"{name}_ms_all"] = [round(t, 1) for t in times[name]]
    return {
        **result,
        **counts,
        **verify,
        "events": bench.events,
        "rounds": rounds,
        "window": f"{window['date_from']}/{window['date_to']}",
        "category": CATEGORY,
        "actor_id": actor.pk,
        "firm": bench.firm.slug,
        "build_s": None if bench.build_s is None else round(bench.build_s, 1),
        "setup_s": round(setup_s, 1),
        "explain": explain,
    }


def _url(path: str, **params: Any) -> str:
    return f"{path}?{urlencode(params)}"


def signed_in(user: User, firm_id: int) -> Client:
    """A test client with a session of ``user`` in ``firm_id``, made without signing in (a
    sign-in would append an ``auth.login`` event to the firm's chain)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["firm_id"] = firm_id
    store.save()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return client


def _get(client: Client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise BenchError(f"GET {url} answered {response.status_code}")
    return response.content


def time_pages(client: Client, urls: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Each page once per round, interleaved; the first round warms up and is dropped."""
    times: dict[str, list[float]] = {name: [] for name in urls}
    for n in range(rounds + 1):
        for name, url in urls.items():
            begun = time.perf_counter()
            _get(client, url)
            elapsed = (time.perf_counter() - begun) * 1000
            if n:
                times[name].append(elapsed)
    return times


def explain_page(client: Client, url: str) -> list[dict[str, Any]]:
    """The audit-table queries one request of ``url`` ran, each under EXPLAIN ANALYZE."""
    with CaptureQueriesContext(connection) as captured:
        _get(client, url)
    table = AuditEvent._meta.db_table
    plans = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if f'"{table}"' not in sql:
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            lines = [row[0] for row in cursor.fetchall()]
            total = next((ln for ln in lines if ln.startswith("Execution Time")), "")
            plans.append(
                {
                    "query": sql[:160],
                    "top": lines[0].strip(),
                    "indexes": sorted({a or b for a, b in _INDEX_RE.findall("\n".join(lines))}),
                    "ms": float(total.split(":")[1].split()[0]) if total else None,
                }
            )
    return plans


def _counts(bench: AuditFirm, actor: User, window: dict[str, str]) -> dict[str, int]:
    """What the pages found (read through the product's own queries)."""
    with firm_scope(bench.firm):
        f = filters.parse_filters({"category": CATEGORY, "actor": str(actor.pk), **window})
        rows = audit_search.search(f).count()
        events = seen.read_events(actor=str(actor.pk), **window)
        objects = len(seen.who_saw_what(events))
    return {"audit_search_rows": rows, "who_saw_what_objects": objects}


def time_verify(bench: AuditFirm) -> dict[str, Any]:
    """The whole chain verified once; it must hold."""
    begun = time.perf_counter()
    report = verify_chain(bench.firm, anchors=[])
    elapsed = time.perf_counter() - begun
    if not report.ok or report.checked != bench.events:
        raise BenchError(f"the bench chain does not verify: {report}")
    return {
        "verify_s": round(elapsed, 1),
        "verify_events_per_s": round(report.checked / elapsed),
    }
