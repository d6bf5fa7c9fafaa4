"""Make the audit table append-only in the database itself.

A trigger refuses every UPDATE and DELETE on advisory_auditevent, on
PostgreSQL and on SQLite, whoever issues it (the ORM, raw SQL, a bulk
update). Only disabling the trigger (an owner or superuser act, which the
hash chain then exposes) can change a row.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION ballast_audit_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'advisory_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_append_only
    BEFORE UPDATE OR DELETE ON advisory_auditevent
    FOR EACH ROW EXECUTE FUNCTION ballast_audit_refuse_change();
"""
PG_REVERSE = """
DROP TRIGGER IF EXISTS audit_append_only ON advisory_auditevent;
DROP FUNCTION IF EXISTS ballast_audit_refuse_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON advisory_auditevent
       BEGIN SELECT RAISE(ABORT, 'advisory_auditevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON advisory_auditevent
       BEGIN SELECT RAISE(ABORT, 'advisory_auditevent is append-only: DELETE refused'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS audit_no_update;", "DROP TRIGGER IF EXISTS audit_no_delete;"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"No append-only trigger for database vendor {vendor!r}.")


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [PG_REVERSE] if vendor == "postgresql" else SQLITE_REVERSE
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("advisory", "0002_initial")]

    operations = [migrations.RunPython(forward, reverse)]
