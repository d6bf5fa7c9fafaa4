"""gunicorn's settings for Ballast (``gunicorn -c config/gunicorn.conf.py config.wsgi``).

Sized from the machine's cores; every figure can be overridden from the environment
(``GUNICORN_*``), and a bad value stops the server at start with the variable's name.
See docs/deploy.md for how the figures relate to PostgreSQL's connections.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


CORES = os.cpu_count() or 1

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# gthread: a page mostly waits on PostgreSQL, so threads overlap that wait cheaply while the
# processes use the cores. Two processes per core, four threads each: 16 requests at once
# on a 2-core host, and as many database connections (one per thread).
# sync: a worker takes a connection only when it is free, so the load spreads evenly over the
# processes. gthread workers accept while busy, and a kept-alive connection stays with the
# worker that took it: measured in issue 15, one of four gthread processes served most of 50
# users (its threads queueing on one GIL) while the others idled. Slow clients are the proxy's
# to buffer (nginx in front, docs/deploy.md), as sync workers need.
WORKER_CLASSES = ("sync", "gthread")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "sync"
if worker_class not in WORKER_CLASSES:
    raise ValueError(f"GUNICORN_WORKER_CLASS must be one of {WORKER_CLASSES}, not {worker_class!r}")
workers = _env_int("GUNICORN_WORKERS", 2 * CORES + 1)
# Threads are gthread's; a sync worker has one (gunicorn would switch a threaded sync to gthread).
threads = _env_int("GUNICORN_THREADS", 4) if worker_class == "gthread" else 1
# A request still running after this long is stuck: its worker is killed and replaced.
# Long work (report batches, imports past BALLAST_IMPORT_ASYNC_ROWS) runs on Celery.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# On HUP or SIGTERM, requests in flight get this long to finish before the worker goes.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Behind a proxy that keeps connections open to us (nginx upstream keepalive).
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Recycle each worker after about this many requests, so a slow leak stays bounded; the
# jitter keeps the workers from all restarting at the same moment.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 200, minimum=0)
# preload off: each worker imports the app after the fork, so a `kill -HUP` (graceful
# reload) picks up new code, and nothing opened at import time (a database or Redis
# connection) can end up shared by every forked worker. It costs some memory per worker.
preload_app = False
# The heartbeat file in memory: a slow or full disk must not make gunicorn kill workers.
# (gunicorn makes a private file there per worker: the advice of its own docs.)
_SHM = "/dev/shm"  # noqa: S108
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
# Requests' scheme and client address come from the proxy (SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# rid: our request id (the response's X-Request-ID, the one audit events carry);
# client_rid: whatever X-Request-ID the proxy or caller sent; D: microseconds.
access_log_format = (
    '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(D)sus rid=%({x-request-id}o)s '
    'client_rid=%({x-request-id}i)s "%(a)s"'
)
proc_name = "ballast-web"
# gunicorn 27's control socket: not used by our deploys; off so nothing listens we don't use.
control_socket_disable = True


def child_exit(server: object, worker: object) -> None:
    """A worker that exited (recycled after max_requests, killed on timeout) leaves its live
    gauges in the Prometheus multiprocess directory: drop them, or /metrics would add up the
    dead (docs/operations-health.md)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
