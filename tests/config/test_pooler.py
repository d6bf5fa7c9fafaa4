"""Transaction pooling (issue 15): what pgbouncer in transaction mode carries from one client to
the next on a shared server connection, and the settings pooling needs.

The pooler here is bin/pgbouncer-up's, started on ``BALLAST_TEST_PGBOUNCER_PORT`` (default
6439) with one server connection per database and role, so two clients are sure to share it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from advisory.db_security.firm_setting import role_sql, setting_sql
from config.db_routing.pooling import pooled

ROOT = Path(__file__).resolve().parents[2]  # the repository


def test_transaction_pooling_turns_off_session_features():
    db = pooled({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}, "transaction")
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["OPTIONS"]["prepare_threshold"] is None
    direct = pooled({"ENGINE": "django.db.backends.postgresql", "OPTIONS": {}}, "")
    assert "DISABLE_SERVER_SIDE_CURSORS" not in direct and direct["OPTIONS"] == {}
    with pytest.raises(ValueError, match="BALLAST_DB_POOLER"):
        pooled({"ENGINE": "django.db.backends.postgresql"}, "session")


def test_the_role_setting_refuses_anything_but_a_role_name():
    assert role_sql(None) == ""
    assert role_sql("ballast_app") == ", set_config('role', 'ballast_app', true)"
    with pytest.raises(ValueError, match="not a role name"):
        role_sql("x', true); DROP TABLE y; --")


@pytest.fixture
def pgbouncer(db) -> Iterator[dict]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT host(inet_server_addr()), inet_server_port()")
        host, port = cursor.fetchone()
    env = {
        **os.environ,
        "PGBOUNCER_PORT": os.environ.get("BALLAST_TEST_PGBOUNCER_PORT", "6439"),
        # Not under pytest's tmp_path: pgbouncer runs as postgres and must reach its files.
        "PGBOUNCER_DIR": tempfile.mkdtemp(prefix="ballast-test-pgbouncer-"),
        "PGBOUNCER_POOL_SIZE": "1",
        "PGHOST": host or "127.0.0.1",
        "PGPORT": str(port),
    }
    up = ROOT / "bin" / "pgbouncer-up"
    done = subprocess.run([up], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    yield {
        "host": "127.0.0.1",
        "port": int(env["PGBOUNCER_PORT"]),
        "user": "postgres",
        "dbname": connection.settings_dict["NAME"],
    }
    subprocess.run([up, "--stop"], env=env, capture_output=True, timeout=60, check=False)
    shutil.rmtree(env["PGBOUNCER_DIR"], ignore_errors=True)


SEEN = "SELECT current_setting('ballast.firm_id', true), current_user::text, pg_backend_pid()"


def test_the_firm_setting_and_role_end_with_their_transaction(pgbouncer):
    """What the firm-setting wrapper sends (firm and role, transaction-local) is gone for the
    next client on the same server connection; a session SET would not be."""
    with (
        psycopg.connect(**pgbouncer, autocommit=True) as a,
        psycopg.connect(**pgbouncer, autocommit=True) as b,
    ):
        with a.transaction():
            a.execute(setting_sql(("7", "")) + role_sql("ballast_app"))
            firm, role, pid_a = a.execute(SEEN).fetchone()
            assert (firm, role) == ("7", "ballast_app")
        firm, role, pid_b = b.execute(SEEN).fetchone()
        assert pid_b == pid_a  # one server connection, shared
        assert (firm or "", role) == ("", "postgres")

        a.execute("SET ballast.firm_id = '7'")  # what the application must never do
        firm, _, pid_b = b.execute(SEEN).fetchone()
        assert pid_b == pid_a and firm == "7"  # another client inherits it
        b.execute("RESET ballast.firm_id")


def test_a_test_database_is_dropped_once_pgbouncer_lets_go(pgbouncer):
    """Why tests/conftest.py closes pgbouncer's server connections (KILL, RESUME) before
    pytest-django drops the test database through it."""
    name = f"{pgbouncer['dbname']}_pooled_drop"
    admin = {**pgbouncer, "dbname": "postgres"}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(**{**pgbouncer, "dbname": name}) as client:
        client.execute("SELECT 1")
    try:
        with (
            psycopg.connect(**admin, autocommit=True) as conn,
            pytest.raises(psycopg.errors.ObjectInUse),
        ):
            conn.execute(f'DROP DATABASE "{name}"')  # pgbouncer keeps its server connection
        with psycopg.connect(**{**pgbouncer, "dbname": "pgbouncer"}, autocommit=True) as console:
            console.execute(f"KILL {name}")
            console.execute(f"RESUME {name}")
    finally:
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
