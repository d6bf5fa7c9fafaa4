"""The load test end to end on tiny firms: a real Redis, a Celery worker running drift batches,
gunicorn with config/gunicorn.conf.py, and locust's users signing in and working as advisors,
a portal client and a compliance officer; then the docs writer on a scratch file.

The firms are built with VACUUM and read by server processes, so these tests commit
(``transactional_db``) instead of running inside a rolled-back transaction.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from urllib.parse import quote

import pytest
from django.db import connection

from portfolios.bench import BenchError
from portfolios.bench.load.docs import HEADER, HEADING, PLACEHOLDER, append_figures
from portfolios.bench.load.people import ensure_load_firm, plan
from portfolios.bench.load.runner import AS_OF, Settings, level_figures, run
from tests.celery_harness import RedisServer

KEYS = {"load_users", "load_rps", "load_p95_ms", "load_5xx", "levels", "drift_runs_complete"}


@pytest.fixture
def redis_url(tmp_path):
    redis = RedisServer(tmp_path)
    redis.start()
    yield redis.url
    redis.stop()


@pytest.mark.integration
def test_the_load_test_runs_end_to_end(transactional_db, redis_url, tmp_path, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the bench firms are built with PostgreSQL SQL")
    if importlib.util.find_spec("locust") is None:  # never imported here: it patches with gevent
        pytest.skip("locust is not installed (requirements/dev.txt)")
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the released reports' PDFs
    db = connection.settings_dict
    user = quote(db["USER"]) + (":" + quote(db["PASSWORD"]) if db.get("PASSWORD") else "")
    result = run(
        Settings(
            database_url=f"postgres://{user}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            broker_url=redis_url,
            levels=(3,),
            seconds=6.0,
            think_s=(0.1, 0.5),
            spawn_rate=3.0,
            accounts=40,
            advisors=1,
            households_per_advisor=3,
            clients=1,
            one_each=True,
            worker_processes=1,
            web_workers=1,
            media_root=settings.MEDIA_ROOT,
            workdir=tmp_path / "work",
        )
    )
    assert result.keys() >= KEYS
    assert result["load_users"] == 3
    assert result["load_5xx"] == 0
    assert result["load_failures"] == 0  # 4xx too: every form and endpoint was used right
    level = result["levels"][0]
    assert level["requests"] > 0 and set(level["statuses"]) == {"2xx"}
    assert result["load_p95_ms"] > 0
    assert result["drift_runs_complete"] >= 1 and result["drift_last_state"] == "complete"
    # The window opens once every user signed in: the sign-ins are outside it, pages inside.
    assert not any(name.startswith("/auth/") for name in level["p95_ms_by_page"])
    assert {"/ (home)", "/portal/", "/compliance/audit/"} <= level["p95_ms_by_page"].keys()
    assert 5.5 < level["window_s"] < 8
    assert level["rps"] == round(level["requests"] / level["window_s"], 1)


def test_the_figures_go_at_the_end_of_their_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\n{HEADING}\n\nWorkload.\n\n{PLACEHOLDER}\n\n## Next\n\nText.\n")
    level = {"users": 8, "requests": 900, "rps": 15.0, "p50_ms": 40.0, "pages_p95_ms": 180.0}
    level |= {"window_s": 60.1, "5xx": 0, "failures": 0}
    level |= {"drift_runs_complete": 7, "drift_last_state": "complete"}
    result = {"levels": [level, {**level, "users": 16}], "seconds_per_level": 60.0}
    result["think_s"] = [3.0, 10.0]
    result["drift_accounts"] = 100_000
    append_figures(doc, result, dt.date(2026, 12, 1))
    append_figures(doc, {**result, "levels": [level]}, dt.date(2026, 12, 2))  # a second run
    lines = doc.read_text().splitlines()
    assert PLACEHOLDER not in lines
    assert lines.count(HEADER[0]) == 1
    rows = [line for line in lines if line.startswith("| 2026-12-0")]
    assert [r.split(" | ")[1] for r in rows] == ["8", "16", "8"]
    assert lines.index(HEADER[0]) < lines.index(rows[0])
    assert lines.index(rows[-1]) < lines.index("## Next")
    assert lines[lines.index(HEADING) + 2] == "Workload."
    assert "| 8 | 3–10 | 60.1 | 900 | 15.0 | 40.0 | 180.0 | 0 | 0 |" in rows[0]
    assert "100,000 accounts: 7 runs complete, the last complete" in rows[0]


def test_the_figures_need_their_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# B\n")
    with pytest.raises(ValueError, match="Load test"):
        append_figures(doc, {"levels": []})
    assert doc.read_text() == "# B\n"


@pytest.mark.integration
def test_a_reused_load_firm_signs_in_advisors_as_advisors(transactional_db, tmp_path, settings):
    """The second run finds the firm with its clients and officer: they are not advisors."""
    if connection.vendor != "postgresql":
        pytest.skip("the bench firms are built with PostgreSQL SQL")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    first = plan(ensure_load_firm(2, 2, 1, AS_OF))
    again = plan(ensure_load_firm(2, 2, 1, AS_OF))
    assert again == first
    assert [a["email"].split("@")[0][-2:] for a in again["advisors"]] == ["-a", "-b"]
    assert len(again["clients"]) == 1 and len(again["compliance"]) == 1


def test_a_level_is_timed_over_its_window_and_counts_errors_over_all_of_it():
    written = {
        "statuses": {"2xx": 5, "5xx": 1},
        "window": {"start": 100.0, "end": 110.0},
        "requests": [
            [99.0, 900.0, "/auth/login/ POST", 200, False],  # a sign-in, before the window
            [99.5, 50.0, "/", 500, True],  # a 5xx before it: counted, not timed
            [100.0, 40.0, "/", 200, False],
            [104.0, 60.0, "/households/[id]/", 200, False],
            [109.0, 80.0, "/", 200, True],  # a wrong answer (a "PDF" that is not one)
            [110.5, 70.0, "/", 200, False],  # after the window
        ],
    }
    figures = level_figures(written)
    assert (figures["window_s"], figures["requests"], figures["rps"]) == (10.0, 3, 0.3)
    assert (figures["p50_ms"], figures["pages_p95_ms"], figures["max_ms"]) == (60.0, 80.0, 80.0)
    assert figures["p95_ms_by_page"] == {"/": 80.0, "/households/[id]/": 60.0}
    assert (figures["5xx"], figures["window_5xx"], figures["failures"]) == (1, 0, 2)


def test_a_level_whose_window_never_opened_is_an_error():
    written = {"statuses": {}, "window": {"start": None, "end": None}, "requests": []}
    with pytest.raises(BenchError, match="never opened"):
        level_figures(written)
