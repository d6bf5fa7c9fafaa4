"""Point the Celery app at a real Redis (db 13 of the test server) or at a closed port."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from advisory.health import checks
from config.celery import app

REDIS_URL = "redis://127.0.0.1:6379/13"
CLOSED_PORT_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def broker() -> Iterator[Callable[[str], None]]:
    """``broker(url)``: tasks go to that broker (not run in-process) for this test."""
    keys = ("broker_url", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}

    def point_at(url: str) -> None:
        app.conf.update(broker_url=url, task_always_eager=False)

    yield point_at
    app.conf.update(saved)


@pytest.fixture(autouse=True)
def fresh_migration_answer():
    """Each test asks the migration table itself (the check keeps a positive answer)."""
    checks._MIGRATIONS_SEEN_APPLIED.clear()
    yield
    checks._MIGRATIONS_SEEN_APPLIED.clear()
