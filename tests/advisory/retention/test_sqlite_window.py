"""On SQLite the triggers cannot read settings: the disposal window is a row of
``advisory_disposalwindow``. Checked on a freshly migrated SQLite file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

EVENT = (
    "INSERT INTO advisory_auditevent (firm_id, seq, created_at, actor_label, role, action, "
    "object_type, object_id, object_repr, changes, user_agent, request_id, prev_hash, hash, "
    "key_id) VALUES (?, ?, ?, '', '', 'household.viewed', '', '', '', '{}', '', '', '', '', '')"
)


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("retention") / "retention.sqlite3"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = f"sqlite:///{db}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )
    return db


def _refused(db: Path, *sql: tuple[str, tuple]) -> None:
    conn = sqlite3.connect(db)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            for statement, params in sql:
                conn.execute(statement, params)
    finally:
        conn.rollback()
        conn.close()


def test_sqlite_deletes_pass_only_inside_a_window(sqlite_db):
    db = sqlite_db
    with sqlite3.connect(db) as conn:  # foreign keys are off in a bare sqlite3 connection
        conn.execute(EVENT, (1, 1, "2015-01-01 00:00:00"))
        conn.execute(EVENT, (1, 2, "2015-01-02 00:00:00"))
        conn.execute(EVENT, (1, 3, "2025-06-01 00:00:00.123456"))
        conn.execute(EVENT, (2, 1, "2015-01-01 00:00:00"))
    delete = ("DELETE FROM advisory_auditevent WHERE firm_id = ? AND seq = ?", (1, 1))
    window = "INSERT INTO advisory_disposalwindow (firm_id, retain_after) VALUES (?, ?)"
    # Outside a window: refused.
    _refused(db, delete)
    # A window of another firm, or a cutoff before the row: refused.
    _refused(db, (window, (2, "2021-01-01 00:00:00")), delete)
    _refused(db, (window, (1, "2014-01-01 00:00:00")), delete)
    # A recent row, even with a cutoff after it: the five-year floor refuses it.
    _refused(
        db,
        (window, (1, "2999-01-01 00:00:00")),
        ("DELETE FROM advisory_auditevent WHERE firm_id = 1 AND seq = 3", ()),
    )
    # An UPDATE inside a window: refused.
    _refused(
        db,
        (window, (1, "2021-01-01 00:00:00")),
        ("UPDATE advisory_auditevent SET actor_label = 'x' WHERE seq = 1", ()),
    )
    # Inside the window: the old rows of its firm go.
    with sqlite3.connect(db) as conn:
        conn.execute(window, (1, "2021-01-01 00:00:00"))
        conn.execute("DELETE FROM advisory_auditevent WHERE firm_id = 1 AND seq <= 2")
        conn.execute("DELETE FROM advisory_disposalwindow")
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT firm_id, seq FROM advisory_auditevent ORDER BY 1, 2").fetchall()
    conn.close()
    assert rows == [(1, 3), (2, 1)]
    # And once the window is gone, refused again.
    _refused(db, ("DELETE FROM advisory_auditevent WHERE firm_id = 2", ()))


def test_sqlite_report_deletes_and_disposals(sqlite_db):
    db = sqlite_db
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO reports_archivedreport (firm_id, household_id, report_type, "
            "period_start, period_end, as_of, file, sha256, size, disclosure_versions, data, "
            "template_version, weasyprint_version, generated_at) VALUES (1, 1, 'household', "
            "'2015-12-01', '2015-12-31', '2015-12-31', 'reports/1/x.pdf', 'abc', 3, '[]', "
            "'{}', 't', '70', '2016-01-01 00:00:00')"
        )
        report_id = conn.execute("SELECT max(id) FROM reports_archivedreport").fetchone()[0]
        conn.execute(
            "INSERT INTO reports_reportrelease (firm_id, report_id, released_at) "
            "VALUES (1, ?, '2016-01-02 00:00:00')",
            (report_id,),
        )
        conn.execute(
            "INSERT INTO advisory_auditdisposal (firm_id, disposed_at, cutoff, boundary_seq, "
            "boundary_hash, events_disposed, reports_disposed, actor_label) VALUES "
            "(1, '2026-01-01 00:00:00', '2021-01-01 00:00:00', 2, 'h', 2, '[]', '')"
        )
    _refused(db, ("DELETE FROM reports_reportrelease", ()))
    _refused(db, ("DELETE FROM reports_archivedreport", ()))
    window = ("INSERT INTO advisory_disposalwindow VALUES (1, '2021-01-01 00:00:00')", ())
    _refused(db, window, ("DELETE FROM advisory_auditdisposal", ()))
    _refused(db, window, ("UPDATE advisory_auditdisposal SET boundary_seq = 9", ()))
    with sqlite3.connect(db) as conn:
        conn.execute(*window)
        conn.execute("DELETE FROM reports_reportrelease")
        conn.execute("DELETE FROM reports_archivedreport")
        conn.execute("DELETE FROM advisory_disposalwindow")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM reports_archivedreport").fetchone() == (0,)
    assert conn.execute("SELECT count(*) FROM advisory_auditdisposal").fetchone() == (1,)
    conn.close()
