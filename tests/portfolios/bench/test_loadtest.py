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

from portfolios.bench.load.docs import HEADER, HEADING, PLACEHOLDER, append_figures
from portfolios.bench.load.runner import Settings, run
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
    assert "/auth/login/ POST" in level["p95_ms_by_page"]


def test_the_figures_go_at_the_end_of_their_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# B\n\n{HEADING}\n\nWorkload.\n\n{PLACEHOLDER}\n\n## Next\n\nText.\n")
    level = {"users": 8, "requests": 900, "rps": 15.0, "pages_p95_ms": 180.0, "p95_ms": 210.0}
    level |= {"5xx": 0, "failures": 0, "drift_runs_complete": 7, "drift_last_state": "complete"}
    result = {"levels": [level, {**level, "users": 16}], "seconds_per_level": 60.0}
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
    assert "| 180.0 | 210.0 |" in rows[0]
    assert "100,000 accounts: 7 runs complete, the last complete" in rows[0]


def test_the_figures_need_their_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# B\n")
    with pytest.raises(ValueError, match="Load test"):
        append_figures(doc, {"levels": []})
    assert doc.read_text() == "# B\n"
