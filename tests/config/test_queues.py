"""Queues per workload (config/settings/base.py, docs/deploy.md): every task lands on one of
drift, proposals, reports or default, new tasks by their names, and a message sent through
a real Redis broker sits in its queue alone."""

from __future__ import annotations

import pytest
import redis as redis_client
from django.conf import settings

from config.celery import app

QUEUES = {"drift", "proposals", "reports", "default"}

# Today's tasks and where they must go.
EXPECTED = {
    "portfolios.tasks.nightly": "drift",
    "portfolios.tasks.price_firm": "drift",
    "portfolios.tasks.drift_firm": "drift",
    "portfolios.tasks.drift_chunk": "drift",
    "portfolios.tasks.propose_batch": "proposals",
    "portfolios.tasks.resume_stalled_runs": "default",  # a watchdog waits behind nothing
    "portfolios.tasks.check_position_import": "default",
    "portfolios.tasks.apply_position_import": "default",
    "reports.tasks.generate_household_report": "reports",
    "reports.tasks.notify_report_released": "reports",
    "reports.tasks.export_records": "reports",
    "reports.tasks.resume_stalled_report_batches": "default",
    "advisory.tasks.verify_audit_chain": "default",
    "advisory.tasks.anchor_and_verify": "default",
    "advisory.webhooks.tasks.deliver": "default",
    "advisory.webhooks.tasks.send_due_webhooks": "default",
}


def queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def our_tasks() -> list[str]:
    app.loader.import_default_modules()
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_the_four_queues_are_declared():
    assert set(app.amqp.queues) == QUEUES == set(settings.BALLAST_QUEUES)
    assert app.conf.task_default_queue == "default"
    # Each queue is bound by its own routing key: a message for one is never copied to all.
    assert {q.name: q.routing_key for q in app.amqp.queues.values()} == {q: q for q in QUEUES}


def test_every_task_maps_to_one_of_the_four_queues():
    routed = {name: queue_of(name) for name in our_tasks()}
    assert {name: q for name, q in routed.items() if q not in QUEUES} == {}
    assert {name: routed.get(name) for name in EXPECTED} == EXPECTED


@pytest.mark.parametrize(
    ("name", "queue"),
    [
        ("portfolios.tasks.preview_model_change", "drift"),
        ("portfolios.tasks.model_preview_chunk", "drift"),
        ("portfolios.tasks.drift_household", "drift"),
        ("portfolios.tasks.propose_household", "proposals"),
        ("portfolios.tasks.proposal_batch_chunk", "proposals"),
        ("portfolios.tasks.close_batch", "proposals"),
        ("portfolios.tasks.resume_stalled_previews", "default"),
        ("portfolios.tasks.import_something", "default"),
        ("reports.tasks.render_batch", "reports"),
        ("advisory.tasks.anything_new", "default"),
        ("advisory.tasks.drift_like_name", "default"),  # only portfolios' names route by word
    ],
)
def test_a_new_task_lands_by_its_name(name, queue):
    assert queue_of(name) == queue


@pytest.mark.integration
def test_a_message_goes_to_its_queue_alone_through_redis(redis):
    sent = {
        "drift": "portfolios.tasks.drift_chunk",
        "proposals": "portfolios.tasks.propose_batch",
        "reports": "reports.tasks.generate_household_report",
        "default": "advisory.tasks.anchor_and_verify",
    }
    for name in sent.values():
        app.send_task(name, args=[0])  # no worker: the messages stay where they landed
    broker = redis_client.Redis.from_url(redis.url)
    assert {q: broker.llen(q) for q in QUEUES} == {q: 1 for q in QUEUES}
    for queue, name in sent.items():
        assert name in broker.lpop(queue).decode()
