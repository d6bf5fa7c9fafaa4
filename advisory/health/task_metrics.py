"""How long Celery tasks take, by task name and final state, from Celery's own signals.

The histogram lives in the process that runs the task (a worker, or the web process when
tasks run in-process). A worker's metrics reach Prometheus through /metrics on the same
host (``PROMETHEUS_MULTIPROC_DIR`` shared by web and workers) or through the worker's own
exporter (``BALLAST_WORKER_METRICS_PORT``).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from wsgiref.simple_server import WSGIServer

import prometheus_client
from celery import signals
from django.conf import settings
from prometheus_client import Histogram

from .metrics import QueueLengths, _Scrape, process_registry

log = logging.getLogger(__name__)

TASK_DURATION = Histogram(
    "ballast_celery_task_duration_seconds",
    "Celery task run time, from task_prerun to task_postrun",
    ["task", "state"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, float("inf")),
)
_started: dict[str, float] = {}  # task id → perf_counter at prerun (one process's tasks)


def task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


def task_finished(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    started = _started.pop(task_id or "", None)
    if started is None or task is None:
        return
    TASK_DURATION.labels(task=task.name, state=state or "UNKNOWN").observe(
        time.perf_counter() - started
    )


def start_worker_exporter(**kwargs: Any) -> WSGIServer | None:
    """``worker_init``: serve this worker host's metrics on ``BALLAST_WORKER_METRICS_PORT``
    (bound to ``BALLAST_WORKER_METRICS_ADDR``, the loopback unless set), when that is set."""
    port = settings.BALLAST_WORKER_METRICS_PORT
    if not port:
        return None
    address = settings.BALLAST_WORKER_METRICS_ADDR
    server, _thread = prometheus_client.start_http_server(
        port, addr=address, registry=_Scrape(process_registry(), QueueLengths())
    )
    log.info("worker metrics on %s:%s", address, port)
    return server


def connect() -> None:
    signals.task_prerun.connect(task_started, weak=False, dispatch_uid="ballast-task-started")
    signals.task_postrun.connect(task_finished, weak=False, dispatch_uid="ballast-task-finished")
    signals.worker_init.connect(
        start_worker_exporter, weak=False, dispatch_uid="ballast-worker-metrics"
    )
