"""Shared fixtures. Fixtures run with scopes disabled (they build data for
several firms); tests themselves run unscoped, so a test that forgets the
firm scope fails instead of passing quietly (pretix's pattern)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from advisory.db_security import roles
from advisory.db_security.firm_setting import TRANSACTION_ROLE
from config.celery import app, reset_producer_pool
from tests import db_roles, factories
from tests.celery_harness import CHUNK, RedisServer, Worker


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    with scopes_disabled():
        return (yield)


# --- The suite runs as the application role (advisory/db_security) --------------------------


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Create and migrate the test database as ``DATABASE_URL``'s superuser (the owner), then
    run every test as the application role, the role production's servers log in as.

    The in-process connection assumes the role at session start (Django's ``assume_role``:
    ``SET ROLE``), so privileges and row-level security are the application role's, while
    the few tests that play a superuser tampering with the books can still step up inside
    their own test transaction (:func:`tests.db_roles.as_superuser`). Servers and workers
    the tests start log in as the application role itself (:func:`tests.db_roles.app_database_url`).
    """
    if connection.vendor != "postgresql":
        yield
        return
    wanted = roles.configured_roles()
    pooled = settings.BALLAST_DB_POOLER == "transaction"
    with django_db_blocker.unblock():
        roles.ensure_roles(connection, wanted, os.environ.get("BALLAST_APP_DB_PASSWORD"))
        roles.grant_app_privileges(connection, wanted.app)
        if pooled:
            # Through pgbouncer a session's SET ROLE would stay on the server connection for
            # its next client: the role is assumed per transaction instead (firm_setting.py).
            connection.settings_dict[TRANSACTION_ROLE] = wanted.app
        else:
            connection.settings_dict["OPTIONS"]["assume_role"] = wanted.app
        connection.close()
    yield
    with django_db_blocker.unblock():
        # Dropping the test database is the superuser's job again.
        connection.settings_dict["OPTIONS"].pop("assume_role", None)
        connection.settings_dict.pop(TRANSACTION_ROLE, None)
        connection.close()
        if pooled:
            _release_pooled_server_connections(connection.settings_dict)


def _release_pooled_server_connections(db: dict) -> None:
    """pgbouncer keeps its server connections to the test database open after the suite's
    clients leave, and DROP DATABASE refuses while any is: close them (KILL) and let the
    database name be used again (RESUME)."""
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="pgbouncer", autocommit=True
    ) as admin:
        for command in ("KILL", "RESUME"):
            admin.execute(f"{command} {db['NAME']}")


@pytest.fixture
def platform_operator(db) -> Iterator[None]:
    """Run the test as the owner role would (here the session's superuser): the benchmarks
    and the records operator's disposal are platform commands, never the application's."""
    with db_roles.as_superuser():
        yield


@pytest.fixture
def classes(db):
    return factories.asset_classes()


@pytest.fixture
def voo(classes):
    sec = factories.security("VOO", classes["us-large-cap"])
    factories.price(sec, "500.00", factories.AS_OF - dt.timedelta(days=1))
    factories.price(sec, "512.34", factories.AS_OF)
    return sec


@pytest.fixture
def bnd(classes):
    return factories.security("BND", classes["fixed-income"])


@pytest.fixture
def world_a(classes, voo):
    return factories.firm_world("alpha", "Alpha", classes, voo)


@pytest.fixture
def world_b(classes, voo):
    # Firm B's names carry a marker no firm-A page may ever show.
    return factories.firm_world("zeta", "ZetaSecret", classes, voo)


@pytest.fixture
def login(client):
    """Log the test client in as a membership's user."""

    def _login(membership):
        return factories.log_in(client, membership.user)

    return _login


# --- A real Redis and real Celery workers (integration tests) ------------------------------


@pytest.fixture
def redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    old = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = server.url, False
    reset_producer_pool()
    yield server
    app.conf.broker_url, app.conf.task_always_eager = old
    reset_producer_pool()
    server.stop()


@pytest.fixture
def worker_env(redis) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": db_roles.app_database_url(),
        "CELERY_BROKER_URL": redis.url,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "BALLAST_DRIFT_CHUNK_HOUSEHOLDS": str(CHUNK),
        "BALLAST_DRIFT_STALL_SECONDS": "4",
        "BALLAST_DRIFT_WATCHDOG_SECONDS": "2",
    }


@pytest.fixture
def workers(worker_env, tmp_path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def make(beat: bool = False) -> Worker:
        w = Worker(worker_env, tmp_path / "worker.log", beat=beat)
        w.start()
        started.append(w)
        return w

    yield make
    for w in started:
        w.stop()


# --- Flushing past the TRUNCATE trigger (advisory/0007) ------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _flush_as_replica() -> Iterator[None]:
    """Let the test database's flush TRUNCATE the append-only tables.

    Transactional tests and module-scoped data are cleaned up with ``flush``, a TRUNCATE of
    every table, which advisory/0007's trigger refuses. The flush runs with ``SET LOCAL
    session_replication_role = replica`` — a superuser-only setting under which ordinary
    triggers do not fire — for its own transaction alone; nothing else in the suite (nor the
    product) gets past the triggers this way.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        statements = original(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
        # The suite's connection runs as the application role (which may not TRUNCATE):
        # the flush steps back to the session's superuser for its own transaction alone.
        flush = ["SET LOCAL ROLE NONE", "SET LOCAL session_replication_role = replica"]
        return [*flush, *statements] if statements else []

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original
