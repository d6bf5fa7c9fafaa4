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
