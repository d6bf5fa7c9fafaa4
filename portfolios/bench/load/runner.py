"""The load test behind ``manage.py bench_load``: locust against gunicorn during a drift batch.

In order: the firms (:mod:`.people` for the people who browse, the drift benchmark's
``bench-<accounts>x25`` firm for the batch); gunicorn started with ``config/gunicorn.conf.py``
(DEBUG off) on a free loopback port, trusting one proxy hop (locust sends each person's own
``X-Forwarded-For``); one prefork Celery worker on the broker, at a lower CPU priority
(``worker_nice``, as deploy/systemd's unit); then per user level (``levels``, e.g. 8 16 50
200) ``locust --headless`` with that many users while the batch firm's drift runs one after
another on the worker (:mod:`.drift_loop`). The locustfile opens the level's timed window
once every user has signed in, closes it ``seconds`` later and stops; it records every
request (start, duration, name, status, failed or not), from which :func:`level_figures`
takes the window's figures and the level's 5xx and failures. After each level, the drift run
still going gets up to ``drift_timeout_s`` to finish.

One JSON-ready dict: ``load_users``/``load_rps``/``load_p95_ms`` of the last (largest) level,
``load_5xx`` and ``load_failures`` over all levels, ``levels`` (one dict per level), the drift
runs and how the last ended, and the run's settings.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import statistics
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
SIGN_IN_ALLOWANCE_S = 0.5  # a sign-in's password hash on a busy 2-core machine, generously


@dataclass(frozen=True)
class Settings:
    database_url: str
    broker_url: str
    levels: tuple[int, ...] = (8, 16, 50, 200)
    seconds: float = 60.0  # the timed window of each level
    think_s: tuple[float, float] = (3.0, 10.0)  # a person reads a page this long (uniform)
    spawn_rate: float = 10.0  # users started per second
    accounts: int = 100_000  # the drift batch's firm
    advisors: int = 20
    households_per_advisor: int = 25
    clients: int = 10
    # The drift queue's share of a 2-core host that also serves the pages: one process at a
    # lower CPU priority (deploy/systemd: Nice=). Two take both cores (docs/benchmarks.md).
    worker_processes: int = 1
    worker_nice: int = 10
    web_workers: int = 0  # gunicorn processes; 0: config/gunicorn.conf.py's (2 per core + 1)
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
                worker = celery_worker(
                    env, cfg.worker_processes, work / "worker.log", nice=cfg.worker_nice
                )
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
        "load_5xx": sum(level["5xx"] for level in levels),
        "load_failures": sum(level["failures"] for level in levels),
        "levels": levels,
        "drift_runs_complete": sum(level["drift_runs_complete"] for level in levels),
        "drift_last_state": top["drift_last_state"],
        "drift_accounts": cfg.accounts,
        "seconds_per_level": cfg.seconds,
        "think_s": list(cfg.think_s),
        "worker_nice": cfg.worker_nice,
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
        # locust plays the reverse proxy: each simulated person has an X-Forwarded-For address
        "BALLAST_TRUSTED_PROXY_COUNT": "1",
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
    """``locust --headless`` for one level; its figures from the status file the locustfile
    writes (every request with its start, duration and status; the timed window)."""
    status_file = work / f"status-{users}.json"
    cmd = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless"]
    cmd += ["--host", f"http://{HOST}:{port}", "--users", str(users)]
    # The locustfile stops itself when the window is over; --run-time is the safety net (the
    # ramp, every sign-in's hash on a busy machine, then the window).
    cap_s = users / cfg.spawn_rate + users * SIGN_IN_ALLOWANCE_S + cfg.seconds + 60
    cmd += ["--spawn-rate", str(cfg.spawn_rate), "--run-time", f"{cap_s:.0f}s"]
    cmd += ["--stop-timeout", "10", "--only-summary", "--loglevel", "WARNING"]
    env = {
        **os.environ,
        "BALLAST_LOAD_PLAN": str(plan_file),
        "BALLAST_LOAD_STATUS": str(status_file),
        "BALLAST_LOAD_USERS": str(users),
        "BALLAST_LOAD_WINDOW_S": f"{cfg.seconds:g}",
        "BALLAST_LOAD_THINK_S": f"{cfg.think_s[0]:g},{cfg.think_s[1]:g}",
        "BALLAST_LOAD_ONE_EACH": "1" if cfg.one_each else "0",
    }
    with (work / f"locust-{users}.log").open("wb") as out:
        # Our own interpreter's locust and arguments. Exit code 1 means "some requests
        # failed", which the figures report; anything else is locust itself failing.
        done = subprocess.run(  # noqa: S603
            cmd, env=env, cwd=work, stdout=out, stderr=subprocess.STDOUT, timeout=cap_s + 120
        )
    if done.returncode not in (0, 1) or not status_file.exists():
        log = (work / f"locust-{users}.log").read_text(errors="replace")[-2000:]
        raise BenchError(f"locust exited {done.returncode}:\n{log}")
    return {"users": users, **level_figures(json.loads(status_file.read_text()))}


def level_figures(written: dict[str, Any]) -> dict[str, Any]:
    """The level's figures: requests, requests/s, p50/p95/max and p95 by page within the timed
    window (every user signed in; sign-ins are outside it by construction), and the status
    classes over the whole level, sign-ins included (a 5xx anywhere counts)."""
    counts = written["statuses"]
    start, end = written["window"]["start"], written["window"]["end"]
    if start is None or end is None:
        raise BenchError("the timed window never opened: not every user signed in in time")
    timed = [r for r in written["requests"] if start <= r[0] <= end]
    times = sorted(r[1] for r in timed)
    by_page: dict[str, list[float]] = {}
    for _, ms, name, *_ in timed:
        by_page.setdefault(name, []).append(ms)
    window_s = end - start
    return {
        "window_s": round(window_s, 1),
        "requests": len(timed),
        "rps": round(len(timed) / window_s, 1) if window_s > 0 else None,
        "p50_ms": round(statistics.median(times), 1) if times else None,
        "pages_p95_ms": round(p95(times), 1) if times else None,
        "max_ms": max(times) if times else None,
        "p95_ms_by_page": {name: round(p95(ms), 1) for name, ms in sorted(by_page.items())},
        "window_5xx": sum(1 for r in timed if r[3] >= 500),
        "5xx": counts.get("5xx", 0),
        "no_answer": counts.get("none", 0),
        "failures": sum(1 for r in written["requests"] if r[4]),
        "statuses": counts,
    }
