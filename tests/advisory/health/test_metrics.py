"""/metrics: request, task and queue metrics, readable from the loopback, an allowed network or
with the bearer token, and by nobody else."""

from __future__ import annotations

import re
import socket
import urllib.request

import pytest
import redis
from django.test import Client

from advisory.health import task_metrics
from config.celery import app

from .conftest import CLOSED_PORT_URL, REDIS_URL

OUTSIDE = "203.0.113.9"  # TEST-NET-3: never the loopback


@app.task(name="tests.advisory.health.noop")
def noop() -> str:
    return "done"


def scrape(**extra) -> tuple[int, str]:
    response = Client().get("/metrics", **extra)
    return response.status_code, response.content.decode()


def sample(body: str, name: str, **labels: str) -> float | None:
    for line in body.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and all(f'{k}="{v}"' in (match.group(1) or "") for k, v in labels.items()):
            return float(match.group(2))
    return None


def test_the_loopback_reads_requests_and_task_durations(db):
    Client().get("/healthz")
    noop.apply()  # in-process: Celery's prerun/postrun signals fire as in a worker
    status, body = scrape()
    assert status == 200
    assert sample(body, "django_http_requests_total_by_view_transport_method_total", view="healthz")
    count = sample(
        body, "ballast_celery_task_duration_seconds_count",
        task="tests.advisory.health.noop", state="SUCCESS",
    )  # fmt: skip
    assert count and count >= 1


def test_another_address_is_refused_without_a_token(db):
    status, body = scrape(REMOTE_ADDR=OUTSIDE)
    assert status == 403
    assert "django_http" not in body


def test_the_token_opens_it_from_anywhere_and_closes_the_loopback(db, settings):
    settings.BALLAST_METRICS_TOKEN = "scrape-secret-0123456789"
    assert (
        scrape(REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789")[0] == 200
    )
    assert scrape(REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer wrong")[0] == 403
    assert scrape(REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer scrape-sécret")[0] == 403
    assert scrape()[0] == 403  # a token is set and none was sent: the loopback is not enough


def test_an_allowed_network_may_scrape(db, settings):
    settings.BALLAST_METRICS_ALLOWED_IPS = ["203.0.113.0/24"]
    assert scrape(REMOTE_ADDR=OUTSIDE)[0] == 200
    assert scrape(REMOTE_ADDR="198.51.100.1")[0] == 403
    assert scrape()[0] == 403  # the list replaces the loopback default


@pytest.fixture
def redis13():
    client = redis.Redis.from_url(REDIS_URL)
    client.delete("drift", "reports")
    yield client
    client.delete("drift", "reports")
    client.close()


def test_queue_lengths_are_read_from_the_broker(db, broker, redis13):
    broker(REDIS_URL)
    redis13.lpush("drift", "m1", "m2", "m3")
    status, body = scrape()
    assert status == 200
    assert sample(body, "ballast_celery_broker_up") == 1
    assert sample(body, "ballast_celery_queue_length", queue="drift") == 3
    assert sample(body, "ballast_celery_queue_length", queue="reports") == 0  # empty: no key
    assert sample(body, "ballast_celery_queue_length", queue="default") == 0


def test_a_broker_that_is_down_is_a_gauge_not_a_failed_scrape(db, broker):
    broker(CLOSED_PORT_URL)
    status, body = scrape()
    assert status == 200
    assert sample(body, "ballast_celery_broker_up") == 0
    assert sample(body, "ballast_celery_queue_length", queue="drift") is None


def test_a_worker_host_serves_its_own_metrics_when_a_port_is_set(settings):
    settings.BALLAST_WORKER_METRICS_PORT = 0
    assert task_metrics.start_worker_exporter() is None  # off by default
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.BALLAST_WORKER_METRICS_PORT = probe.getsockname()[1]
    noop.apply()
    server = task_metrics.start_worker_exporter()
    try:
        url = f"http://127.0.0.1:{settings.BALLAST_WORKER_METRICS_PORT}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert sample(body, "ballast_celery_task_duration_seconds_count", task=noop.name)
