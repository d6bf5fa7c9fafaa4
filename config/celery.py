"""The Celery application.

Configuration comes from Django settings (``CELERY_*``). With no
``CELERY_BROKER_URL`` the tasks run in-process (``task_always_eager``), so
the quick start needs no broker.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

# DjangoTask gives delay_on_commit(): enqueue only once the transaction commits.
app = Celery("ballast", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def reset_producer_pool() -> None:
    """Make this process send tasks afresh to the current ``broker_url`` (benches and tests
    that point the app at a broker of their own).

    Celery takes its producer pool from kombu's process-wide registry, keyed by broker URL:
    a pool closed here would stay registered, and the next task sent to that URL (even an
    eager one, which still borrows a producer) would fail with "Acquire on closed pool".
    So the registry is emptied too.
    """
    from kombu import pools as kombu_pools

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    kombu_pools.reset()
