"""Refuse TRUNCATE on the audit trail and the report archive, and make the protection final.

PostgreSQL: a statement-level BEFORE TRUNCATE trigger on ``advisory_auditevent``,
``reports_archivedreport`` and ``reports_reportrelease`` (row triggers never see a
TRUNCATE). The UPDATE/DELETE triggers of advisory/0003 and reports/0002 are re-created here
with CREATE OR REPLACE, so they are owned by this migration too.

There is deliberately no way back: the reverse is None, so Django refuses to unapply this
migration (IrreversibleError), and with it every migration that installed a trigger, instead
of quietly dropping the protection. Only a superuser can get past the triggers (disabling
them, or ``session_replication_role = replica``, which the test suite's flush uses), and the
keyed chain and its anchors then expose what changed.

SQLite has no TRUNCATE; its UPDATE/DELETE triggers are kept (re-created if missing).
"""

from django.db import migrations

PROTECTED = ("advisory_auditevent", "reports_archivedreport", "reports_reportrelease")

PG_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION ballast_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
PG_TRUNCATE_TRIGGER = """
CREATE OR REPLACE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION ballast_refuse_truncate();
"""
# The row triggers as advisory/0003 and reports/0002 made them, re-declared.
PG_ROW_TRIGGERS = [
    """CREATE OR REPLACE TRIGGER audit_append_only
        BEFORE UPDATE OR DELETE ON advisory_auditevent
        FOR EACH ROW EXECUTE FUNCTION ballast_audit_refuse_change();""",
    *(
        f"""CREATE OR REPLACE TRIGGER {table}_append_only
        BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION ballast_archive_refuse_change();"""
        for table in PROTECTED[1:]
    ),
]
SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS {name} BEFORE {op} ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END;
"""
SQLITE_NAMES = {
    ("advisory_auditevent", "UPDATE"): "audit_no_update",
    ("advisory_auditevent", "DELETE"): "audit_no_delete",
}


def refuse_truncate(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_TRUNCATE_FUNCTION, params=None)
        for table in PROTECTED:
            schema_editor.execute(PG_TRUNCATE_TRIGGER.format(table=table), params=None)
        for statement in PG_ROW_TRIGGERS:
            schema_editor.execute(statement, params=None)
    elif vendor == "sqlite":
        for table in PROTECTED:
            for op in ("UPDATE", "DELETE"):
                name = SQLITE_NAMES.get((table, op), f"{table}_no_{op.lower()}")
                sql = SQLITE_TRIGGER.format(name=name, table=table, op=op)
                schema_editor.execute(sql, params=None)
    else:
        raise RuntimeError(f"No append-only trigger for database vendor {vendor!r}.")


class Migration(migrations.Migration):
    dependencies = [
        ("advisory", "0006_audit_keys_and_verification"),
        ("reports", "0002_archive"),
    ]

    operations = [migrations.RunPython(refuse_truncate, reverse_code=None)]
