"""The application role: ``check_db_security`` passes as it and fails as ``postgres``, and it
may not UPDATE, DELETE or TRUNCATE the books; ``dbroles`` is idempotent."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from advisory.db_security.roles import append_only_tables
from tests.celery_harness import ROOT
from tests.db_roles import app_database_url

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's roles")


def _superuser_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _manage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_db_security_passes_as_the_application_role(db):
    done = _manage(app_database_url(), "check_db_security")
    assert done.returncode == 0, done.stderr
    assert "database security: OK" in done.stdout


def test_check_db_security_fails_as_postgres_naming_each_problem(db):
    done = _manage(_superuser_url(), "check_db_security")
    assert done.returncode != 0
    assert "is a superuser" in done.stderr
    assert "can bypass row-level security" in done.stderr
    assert "owns" in done.stderr
    assert "may TRUNCATE the append-only table advisory_auditevent" in done.stderr


def test_check_db_security_sees_through_set_role(db):
    """The suite's own connection is the app role by SET ROLE over a superuser session: the
    check names the way back (production logs in as the app role itself)."""
    with pytest.raises(CommandError):
        call_command("check_db_security")


def test_check_db_security_names_a_firm_table_without_forced_rls(db):
    from tests.db_roles import as_superuser

    with as_superuser(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE advisory_household NO FORCE ROW LEVEL SECURITY")
        from advisory.db_security.checks import problems

        found = problems(connection)
    assert "firm-owned table advisory_household lacks forced row-level security" in found


@pytest.mark.parametrize("table", append_only_tables())
def test_the_application_role_may_not_change_the_books(db, table):
    statements = (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}")  # noqa: S608
    for sql in statements:
        with (
            pytest.raises(DatabaseError, match="permission denied"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)


def test_a_real_application_role_login_is_refused_too(db):
    """Logged in as the app role itself (as servers and workers are), not by SET ROLE."""
    with psycopg.connect(app_database_url(), autocommit=True) as conn:
        assert conn.execute("SELECT session_user = current_user").fetchone()[0] is True
        for sql in (
            "UPDATE advisory_auditevent SET action = 'forged'",
            "DELETE FROM advisory_auditevent",
            "TRUNCATE advisory_auditevent",
            "ALTER TABLE advisory_auditevent DISABLE TRIGGER USER",
            "SET session_replication_role = replica",
        ):
            with pytest.raises(psycopg.Error, match=r"permission denied|must be owner"):
                conn.execute(sql)


@pytest.mark.django_db(transaction=True)
def test_dbroles_is_idempotent_and_prints_the_app_url_last():
    first = _manage(_superuser_url(), "dbroles", "--no-transfer")
    assert first.returncode == 0, first.stderr
    second = _manage(_superuser_url(), "dbroles", "--no-transfer")
    assert second.returncode == 0, second.stderr
    last = second.stdout.strip().splitlines()[-1]
    assert last.startswith("postgres://ballast_app")
    assert last.endswith("/" + connection.settings_dict["NAME"])
    assert "row-level security:" not in second.stdout  # nothing left to add
    assert _manage(last, "check_db_security").returncode == 0
