"""The load test behind ``manage.py bench_load``: locust against gunicorn during a drift batch.

In order: the firms (:mod:`.people` for the people who browse, the drift benchmark's
``bench-<accounts>x25`` firm for the batch); gunicorn started with ``config/gunicorn.conf.py``
(DEBUG off) on a free loopback port; one prefork Celery worker on the broker; then per user
level (``levels``, e.g. 8 16 50 200) ``locust --headless`` runs that many users for
``seconds`` while the batch firm's drift runs one after another on the worker. Its
``--csv`` stats give requests, requests/s and the p95 (the "Aggregated" row); the locustfile
counts responses by status class (5xx apart). After each level, the batch running then
gets up to ``drift_timeout_s`` to finish.

One JSON-ready dict: ``load_users``/``load_rps``/``load_p95_ms`` of the last (largest) level,
``load_5xx`` over all levels, ``levels`` (one dict per level). ``load_p95_ms`` leaves out the
sign-ins (each user's first two requests; PBKDF2 is slow by design: ``p95_ms`` of a level
counts them); the drift runs each level saw (:mod:`.drift_loop`) and how the last ended.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test.utils import override_settings

from portfolios.bench import BenchError, p95
from portfolios.bench.drift_data import ensure_bench_firm
from portfolios.bench.http_load import HOST, _stop, _wait_ready, free_port
from portfolios.bench.load.drift_loop import DriftLoop
from portfolios.bench.load.people import ensure_load_firm, plan
from reports.bench.report_run import broker, celery_worker, worker_env

AS_OF = dt.date(2025, 12, 31)
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
QUIET_MAIL = "django.core.mail.backends.dummy.EmailBackend"
CONFIG = Path(settings.BASE_DIR) / "config" / "gunicorn.conf.py"


@dataclass(frozen=True)
class Settings:
    database_url: str
    broker_url: str
    levels: tuple[int, ...] = (8, 16, 50, 200)
    seconds: float = 60.0  # per level
    spawn_rate: float = 10.0  # users started per second
    accounts: int = 100_000  # the drift batch's firm
    advisors: int = 20
    households_per_advisor: int = 25
    clients: int = 10
    worker_processes: int = 2
    web_workers: int = 0  # gunicorn processes; 0: config/gunicorn.conf.py's (2 per core)
    drift_timeout_s: float = 600.0
    one_each: bool = False  # one client and one compliance user, advisors for the rest
    media_root: str = ""  # default: settings.MEDIA_ROOT
    workdir: Path | None = None  # keep the server's, worker's and locust's output there


def run(cfg: Settings) -> dict[str, Any]:
    if not cfg.levels or min(cfg.levels) < 1 or cfg.seconds <= 0:
        raise BenchError("levels must be whole numbers of users ≥ 1 and seconds > 0")
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        raise BenchError("locust is not installed: pip install -r requirements/dev.txt")
    started = time.perf_counter()
    media = cfg.media_root or str(settings.MEDIA_ROOT)
    with override_settings(EMAIL_BACKEND=QUIET_MAIL):  # "report released" mails: not stdout
        people = ensure_load_firm(cfg.advisors, cfg.households_per_advisor, cfg.clients, AS_OF)
    batch_firm = ensure_bench_firm(cfg.accounts, 25, AS_OF)
    setup_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = cfg.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        plan_file = work / "plan.json"
        plan_file.write_text(json.dumps(plan(people)))
        env = {**worker_env(cfg.broker_url, media), "DATABASE_URL": cfg.database_url}
        if cfg.web_workers:
            env["GUNICORN_WORKERS"] = str(cfg.web_workers)
        with broker(cfg.broker_url), ExitStack() as stack:
            # Server and worker start side by side: each takes seconds to import Django.
            with ThreadPoolExecutor(2) as pool:
                worker = celery_worker(env, cfg.worker_processes, work / "worker.log")
                started_worker = pool.submit(stack.enter_context, worker)
                started_server = pool.submit(stack.enter_context, serve(env, work / "gunicorn.log"))
            started_worker.result()
            port = started_server.result()
            levels = []
            for users in cfg.levels:
                with DriftLoop(batch_firm, AS_OF, cfg.drift_timeout_s) as drift:
                    figures = locust(port, users, cfg, plan_file, work)
                levels.append({**figures, **drift.figures()})
    top = levels[-1]
    return {
        "load_users": top["users"],
        "load_rps": top["rps"],
        "load_p95_ms": top["pages_p95_ms"],
        "load_p95_ms_with_sign_in": top["p95_ms"],
        "load_5xx": sum(level["5xx"] for level in levels),
        "load_failures": sum(level["failures"] for level in levels),
        "levels": levels,
        "drift_runs_complete": sum(level["drift_runs_complete"] for level in levels),
        "drift_last_state": top["drift_last_state"],
        "drift_accounts": cfg.accounts,
        "seconds_per_level": cfg.seconds,
        "server": "gunicorn -c config/gunicorn.conf.py (DEBUG off)",
        "setup_s": round(setup_s, 1),
    }


@contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[int]:
    """gunicorn with our config file on a free loopback port (its other figures as configured,
    from the cores); yields the port. ``env`` is the worker's: same database, media, DEBUG off."""
    port = free_port()
    server_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "ALLOWED_HOSTS": HOST,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"{HOST}:{port}",
        "GUNICORN_ACCESS_LOG": "-",
        # The audit chain's keys are this process's, so the chain verifies afterwards.
        "BALLAST_AUDIT_KEYS": ",".join(f"{k}:{v}" for k, v in settings.BALLAST_AUDIT_KEYS.items()),
        "BALLAST_AUDIT_KEY_ID": settings.BALLAST_AUDIT_KEY_ID,
    }
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "config.wsgi:application"]
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            cmd,
            env=server_env,
            cwd=settings.BASE_DIR,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(server, port, 60.0, log)
        yield port
    finally:
        _stop(server)


def locust(port: int, users: int, cfg: Settings, plan_file: Path, work: Path) -> dict[str, Any]:
    """``locust --headless`` for one level; its figures from its CSV and the status file."""
    prefix = work / f"locust-{users}"
    status_file = work / f"status-{users}.json"
    cmd = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless"]
    cmd += ["--host", f"http://{HOST}:{port}", "--users", str(users)]
    cmd += ["--spawn-rate", str(cfg.spawn_rate), "--run-time", f"{cfg.seconds:g}s"]
    # Users finish the task they are in (up to a quarter of the level, 10 s at most).
    stop_s = max(1, min(10, round(cfg.seconds / 4)))
    cmd += [
        "--stop-timeout",
        str(stop_s),
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **os.environ,
        "BALLAST_LOAD_PLAN": str(plan_file),
        "BALLAST_LOAD_STATUS": str(status_file),
        "BALLAST_LOAD_ONE_EACH": "1" if cfg.one_each else "0",
    }
    with (work / f"locust-{users}.log").open("wb") as out:
        # Our own interpreter's locust and arguments. Exit code 1 means "some requests
        # failed", which the figures report; anything else is locust itself failing.
        done = subprocess.run(  # noqa: S603
            cmd, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, timeout=cfg.seconds + 120
        )
    if done.returncode not in (0, 1) or not status_file.exists():
        log = (work / f"locust-{users}.log").read_text(errors="replace")[-2000:]
        raise BenchError(f"locust exited {done.returncode}:\n{log}")
    return {"users": users, **_aggregated(Path(f"{prefix}_stats.csv")), **_statuses(status_file)}


def _aggregated(stats_csv: Path) -> dict[str, Any]:
    with stats_csv.open() as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": round(float(total["Requests/s"]), 1),
        "p50_ms": _ms(total["50%"]),
        "p95_ms": _ms(total["95%"]),
        "max_ms": _ms(total["Max Response Time"]),
        "p95_ms_by_page": {r["Name"]: _ms(r["95%"]) for r in rows if r["Name"] != "Aggregated"},
    }


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else round(float(value), 1)


def _statuses(status_file: Path) -> dict[str, Any]:
    written = json.loads(status_file.read_text())
    counts, pages = written["statuses"], written["page_ms"]
    return {
        "pages_p95_ms": round(p95(pages), 1) if pages else None,
        "5xx": counts.get("5xx", 0),
        "no_answer": counts.get("none", 0),
        "statuses": counts,
    }
