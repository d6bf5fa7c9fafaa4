"""What /metrics serves: django-prometheus' request and query metrics, the Celery task
durations (:mod:`.task_metrics`) and the length of each Celery queue, read from the broker
at scrape time.

Under gunicorn or a prefork Celery worker each process counts on its own; with
``PROMETHEUS_MULTIPROC_DIR`` set (docs/operations-health.md) prometheus_client writes the
counts to files there and a scrape adds up every process on the host.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

import prometheus_client
from django.conf import settings
from kombu.exceptions import ChannelError
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

from config.celery import app as celery_app


def queue_names() -> list[str]:
    """The default queue, every declared queue, every queue a route names, and any listed in
    ``BALLAST_METRICS_QUEUES``."""
    conf = celery_app.conf
    names = {conf.task_default_queue}
    names.update(getattr(queue, "name", str(queue)) for queue in conf.task_queues or ())
    routes = conf.task_routes or {}
    for table in [routes] if isinstance(routes, dict) else routes:
        if isinstance(table, dict):
            for route in table.values():
                names.add(route if isinstance(route, str) else (route or {}).get("queue", ""))
    names.update(settings.BALLAST_METRICS_QUEUES)
    return sorted(name for name in names if name)


def _length(channel, queue: str) -> int:
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except ChannelError:  # Redis drops an empty list: the queue is "missing", i.e. empty
        return 0


class QueueLengths:
    """A collector: ``ballast_celery_queue_length{queue}`` and ``ballast_celery_broker_up``.
    A broker that does not answer gives ``broker_up 0`` rather than a failed scrape."""

    def collect(self) -> Iterator[Metric]:
        if celery_app.conf.task_always_eager:
            return  # no broker: tasks run in-process, there are no queues
        up = GaugeMetricFamily("ballast_celery_broker_up", "1 if the Celery broker answered")
        lengths = GaugeMetricFamily(
            "ballast_celery_queue_length", "Messages waiting in a Celery queue", labels=["queue"]
        )
        timeout = settings.BALLAST_METRICS_BROKER_TIMEOUT_S
        connection = celery_app.connection_for_read(connect_timeout=timeout)
        try:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            for queue in queue_names():
                lengths.add_metric([queue], _length(connection.default_channel, queue))
        except Exception:  # any broker or transport error: report it as down
            up.add_metric([], 0)
            yield up
            return
        finally:
            connection.release()
        up.add_metric([], 1)
        yield up
        yield lengths


class _Scrape:
    """Several collectors read as one registry (what ``generate_latest`` needs)."""

    def __init__(self, *sources: object) -> None:
        self.sources = sources

    def collect(self) -> Iterable[Metric]:
        for source in self.sources:
            yield from source.collect()  # type: ignore[attr-defined]


def process_registry() -> object:
    """This process's metrics, or every process's on the host in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def render_metrics() -> tuple[bytes, str]:
    scrape = _Scrape(process_registry(), QueueLengths())
    return prometheus_client.generate_latest(scrape), prometheus_client.CONTENT_TYPE_LATEST
