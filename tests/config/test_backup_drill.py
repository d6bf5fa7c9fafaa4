"""bin/backup-drill end to end (make backup-drill), on the test database as the source: a
dump restored into a fresh database passes every check, a broken audit chain fails the
drill, and the drill's databases are gone afterwards either way."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from advisory.audit import record
from tests.db_roles import as_superuser
from tests.factories import firm_events

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore"),
]


def server_address() -> tuple[str, int]:
    """PostgreSQL itself, behind the suite's connection (which may be pgbouncer's): pg_dump
    and pg_restore keep session state (search_path, for one) that a transaction pooler would
    hand on to the next client, so the drill always talks to the server directly."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT host(inet_server_addr()), inet_server_port()")
        host, port = cursor.fetchone()
    return host or "127.0.0.1", int(port)


def run_drill() -> subprocess.CompletedProcess[str]:
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "postgresql-client missing"
    db = connection.settings_dict
    host, port = server_address()
    env = {
        **os.environ,
        "PGHOST": host,
        "PGPORT": str(port),
        "PGUSER": db["USER"],
        "BACKUP_DRILL_SOURCE_DB": db["NAME"],
        "BACKUP_DRILL_DB_PREFIX": f"{db['NAME']}_drill",
        "BACKUP_DRILL_PYTHON": sys.executable,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        # The same files and keys the suite wrote the chain with (the keys are exported).
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "BALLAST_AUDIT_ANCHOR_DIR": str(settings.BALLAST_AUDIT_ANCHOR_DIR),
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return subprocess.run(
        [str(ROOT / "bin" / "backup-drill")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def drill_databases() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"{connection.settings_dict['NAME']}_drill%"],
        )
        return [name for (name,) in cursor.fetchall()]


def append_events(world, count: int) -> None:
    for i in range(count):
        record(firm=world.firm, action="household.viewed", changes={"n": i})


@pytest.mark.django_db(transaction=True)
def test_the_drill_restores_everything_and_passes(world_a, world_b):
    append_events(world_a, 3)
    append_events(world_b, 1)
    result = run_drill()
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "row counts:" in out and "all equal" in out
    assert "owners, grants, row-level security, policies, triggers: as in the source" in out
    assert "database security: OK" in out  # as the application role, on the restore
    assert "alpha: OK, 3 events verified" in out
    assert "zeta: OK, 1 events verified" in out
    assert "backup-drill: " in out and "PASS:" in out
    assert drill_databases() == []


@pytest.mark.django_db(transaction=True)
def test_a_broken_audit_chain_fails_the_drill(world_a):
    append_events(world_a, 3)
    victim = firm_events(world_a.firm)[1]
    # What a superuser could do to the source: the restore carries it, and the drill says so.
    with transaction.atomic(), as_superuser(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE advisory_auditevent DISABLE TRIGGER audit_append_only")
        cursor.execute(
            "UPDATE advisory_auditevent SET action = 'innocent' WHERE id = %s", [victim.pk]
        )
        cursor.execute("ALTER TABLE advisory_auditevent ENABLE TRIGGER audit_append_only")
    result = run_drill()
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "BROKEN at seq 2" in out
    assert "FAIL: 1 check(s) failed" in out
    assert "verify_audit on the restore" in out
    assert "PASS" not in out
    assert drill_databases() == []
