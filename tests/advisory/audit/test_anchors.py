"""Anchors outside the database: write-once files, and verification against every one."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from advisory.audit import record, verify_chain
from advisory.chain.anchors import Anchor, DirectoryAnchorStore, build_batch
from tests.db_roles import as_superuser
from tests.factories import firm_events

from .conftest import without_triggers

ROOT = Path(__file__).resolve().parents[3]


def _events(firm, n: int) -> None:
    for i in range(n):
        record(firm=firm, action="household.viewed", changes={"n": i})


def test_anchor_files_are_write_once(tmp_path):
    store = DirectoryAnchorStore(tmp_path)
    head = Anchor(1, "alpha", 3, "ab" * 32, "t1", "2026-01-01T00:00:00+00:00")
    batch = build_batch([head], dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC))
    name = store.write(batch)
    path = tmp_path / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    with pytest.raises(FileExistsError):
        store.write(build_batch([], batch.anchored_at))  # same run time, same name
    assert store.read_all() == [batch]
    assert json.loads(path.read_text())["heads"][0]["seq"] == 3


def test_anchor_audit_writes_every_firms_head_and_audits_it(world_a, world_b, anchor_dir):
    _events(world_a.firm, 3)
    _events(world_b.firm, 1)
    call_command("anchor_audit")
    (path,) = anchor_dir.iterdir()
    heads = {h["firm_slug"]: h for h in json.loads(path.read_text())["heads"]}
    for world, seq in ((world_a, 4), (world_b, 2)):
        last = firm_events(world.firm)[-1]
        assert last.action == "audit.anchored"  # the anchoring is in the anchored head
        assert (heads[world.firm.slug]["seq"], heads[world.firm.slug]["hash"]) == (seq, last.hash)
        assert heads[world.firm.slug]["key_id"] == "t1"
        assert heads[world.firm.slug]["firm_id"] == world.firm.pk
    report = verify_chain(world_a.firm)
    assert report.ok and report.anchors_checked == 1


def test_a_cut_tail_below_an_anchor_fails_naming_the_firm_and_seq(world_a, anchor_dir, capsys):
    _events(world_a.firm, 3)
    call_command("anchor_audit")
    anchored = firm_events(world_a.firm)[-1]
    without_triggers("DELETE FROM advisory_auditevent WHERE id = %s", anchored.pk)
    with pytest.raises(CommandError, match=f"alpha seq {anchored.seq}"):
        call_command("verify_audit")
    err = capsys.readouterr().err
    assert f"alpha: BROKEN at seq {anchored.seq}" in err
    assert f"before its last anchored seq {anchored.seq}" in err
    # And a new event chained onto the cut tail does not hide it.
    record(firm=world_a.firm, action="household.viewed")
    report = verify_chain(world_a.firm)
    assert report.first_bad_seq == anchored.seq
    assert "differs from the anchor" in report.reason


def test_a_deleted_chain_fails_against_its_anchor(world_a, anchor_dir):
    _events(world_a.firm, 2)
    call_command("anchor_audit")
    without_triggers("DELETE FROM advisory_auditevent WHERE firm_id = %s", world_a.firm.pk)
    report = verify_chain(world_a.firm)
    assert (report.first_bad_seq, report.checked) == (3, 0)
    assert "chain ends at seq 0" in report.reason


def test_an_intact_chain_passes_with_a_summary(world_a, world_b, anchor_dir, capsys):
    _events(world_a.firm, 2)
    call_command("anchor_audit")
    _events(world_a.firm, 2)
    call_command("anchor_audit")
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "alpha: OK, 6 events verified, 2 anchors matched" in out
    assert "All 2 chain(s) verified" in out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
@pytest.mark.parametrize(
    "table", ["advisory_auditevent", "reports_archivedreport", "reports_reportrelease"]
)
def test_truncate_is_refused_on_postgresql(world_a, table):
    _events(world_a.firm, 2)
    # As a superuser: the application role may not TRUNCATE at all (test_roles in
    # tests/advisory/db_security); this is the trigger's wall behind that one.
    with as_superuser(), connection.cursor() as cursor:
        # Fire the deferred FK checks first, so only the trigger can refuse the TRUNCATE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(DatabaseError, match="TRUNCATE refused"), transaction.atomic():
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert len(firm_events(world_a.firm)) == 2


def test_the_trigger_migration_cannot_be_reversed():
    from importlib import import_module

    migration = import_module("advisory.migrations.0007_audit_truncate_refused").Migration
    assert all(not op.reversible for op in migration.operations)


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_cut_tail_is_caught_on_sqlite(tmp_path):
    db = tmp_path / "chain.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=f"sqlite:///{db}", BALLAST_AUDIT_ANCHOR_DIR=str(tmp_path / "a"))
    assert _manage(env, "migrate", "--noinput", "-v0").returncode == 0
    setup = (
        "from advisory.models import Firm; from advisory.audit import record; "
        "f = Firm.objects.create(name='Sq', slug='sq'); "
        "[record(firm=f, action='household.viewed', changes={'n': i}) for i in range(3)]"
    )
    assert _manage(env, "shell", "-c", setup).returncode == 0
    assert _manage(env, "anchor_audit").returncode == 0
    assert _manage(env, "verify_audit").returncode == 0
    with sqlite3.connect(db) as conn, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM advisory_auditevent WHERE seq = 4")
    with sqlite3.connect(db) as conn:  # what someone with the file could do
        conn.execute("DROP TRIGGER audit_no_delete")
        conn.execute("DELETE FROM advisory_auditevent WHERE seq = 4")
    run = _manage(env, "verify_audit")
    assert run.returncode != 0
    assert "sq: BROKEN at seq 4" in run.stderr
    assert "before its last anchored seq 4" in run.stderr
