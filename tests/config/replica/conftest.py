"""A real streaming standby for the replica tests (issue 15).

The session starts one with bin/standby-up (``BALLAST_TEST_STANDBY_PORT``, default 5433) from
the PostgreSQL server behind the suite's connection (pgbouncer's too) and stops it at the end.
A standby that cannot be made fails the tests that need it, with the script's words: never a
skip. While this directory's tests run the ``replica`` alias points at the standby's copy of the
test database, logged in as the application role (as production's replica URL is); the rest of
the suite never sees a replica.
"""

from __future__ import annotations

import copy
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from advisory.db_security import roles
from advisory.db_security.firm_setting import TRANSACTION_ROLE
from advisory.models import Household
from advisory.tenancy import firm_scope
from config.db_routing import router

ROOT = Path(__file__).resolve().parents[3]  # the repository
WAIT_S = 120


@dataclass(frozen=True)
class Standby:
    port: int

    def admin(self) -> psycopg.Connection:
        """A superuser connection to the standby (pausing and resuming replay)."""
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def wait_replayed(self, lsn: str) -> None:
        """Wait until the standby has replayed the primary's WAL up to ``lsn``."""
        with self.admin() as admin:
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                row = admin.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
                if row.fetchone()[0]:
                    return
                time.sleep(0.05)
        pytest.fail(f"the standby did not replay up to {lsn} within {WAIT_S} s", pytrace=False)

    def wait_received(self, lsn: str) -> None:
        with self.admin() as admin:
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline:
                row = admin.execute("SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", [lsn])
                if row.fetchone()[0]:
                    return
                time.sleep(0.05)
        pytest.fail(f"the standby did not receive up to {lsn} within {WAIT_S} s", pytrace=False)


@contextmanager
def replay_paused(standby: Standby) -> Iterator[None]:
    with standby.admin() as admin:
        admin.execute("SELECT pg_wal_replay_pause()")
        for _ in range(200):
            state = admin.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]
            if state == "paused":
                break
            time.sleep(0.05)
        else:
            pytest.fail("the standby's replay did not pause")
        try:
            yield
        finally:
            admin.execute("SELECT pg_wal_replay_resume()")
    router.forget_lag()


def rename_on_primary(household: Household, name: str) -> str:
    with firm_scope(household.firm_id):
        Household.objects.filter(pk=household.pk).update(name=name)
    return primary_lsn()


def primary_lsn() -> str:
    """The primary's current WAL position (after the caller's commits)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _server_behind_the_suite(django_db_blocker) -> tuple[str, int]:
    """The PostgreSQL server the suite's connection reaches (through pgbouncer or not)."""
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT host(inet_server_addr()), inet_server_port()")
        host, port = cursor.fetchone()
    connection.close()
    return host or "127.0.0.1", int(port)


@pytest.fixture(scope="session")
def standby(django_db_setup, django_db_blocker) -> Iterator[Standby]:
    port = int(os.environ.get("BALLAST_TEST_STANDBY_PORT", "5433"))
    host, primary_port = _server_behind_the_suite(django_db_blocker)
    env = {**os.environ, "STANDBY_PORT": str(port), "PGHOST": host, "PGPORT": str(primary_port)}
    done = subprocess.run(
        [str(ROOT / "bin" / "standby-up")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(
            f"bin/standby-up could not make a standby on port {port}:\n{done.stdout}{done.stderr}",
            pytrace=False,
        )
    yield Standby(port)
    subprocess.run(
        [str(ROOT / "bin" / "standby-down")],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def replica(standby) -> Iterator[Standby]:
    """The ``replica`` alias, for this module's tests only."""
    primary = connections["default"].settings_dict
    config = copy.deepcopy(primary)
    config.pop(TRANSACTION_ROLE, None)
    config.update(
        HOST="127.0.0.1",
        PORT=standby.port,
        USER=roles.configured_roles().app,
        PASSWORD=os.environ.get("BALLAST_APP_DB_PASSWORD", ""),
        OPTIONS={"connect_timeout": 2},
        TEST={**primary["TEST"], "MIRROR": "default"},  # never created, flushed or dropped
    )
    # A test that configured a "replica" of its own before (tests/advisory/health fakes one
    # with the primary's settings) may have left its connection object behind: drop it.
    stale = getattr(connections._connections, router.REPLICA, None)
    if stale is not None:
        stale.close()
        del connections[router.REPLICA]
    connections.settings[router.REPLICA] = config  # settings.DATABASES itself
    router.forget_lag()
    yield standby
    connections[router.REPLICA].close()
    del connections[router.REPLICA]
    del connections.settings[router.REPLICA]
    router.forget_lag()
