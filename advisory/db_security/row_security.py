"""Row-level security on every firm-owned table (PostgreSQL only).

Each table gets ``ENABLE`` and ``FORCE ROW LEVEL SECURITY`` and one policy: a row is visible
(and may be written) only when its ``firm_id`` equals the transaction's ``ballast.firm_id``
setting, or when code asked for every firm explicitly (``ballast.all_firms = 'on'``, set only
inside ``django_scopes.scopes_disabled()``). An empty or missing setting matches nothing.

The SQL is applied by a ``post_migrate`` handler and by ``manage.py dbroles``, never by a
migration, so every firm-owned model (today's and future ones) is covered without anyone
remembering to add one. It only adds what is missing, so running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.backends.base.base import BaseDatabaseWrapper

from advisory.tenancy import firm_owned_models

FIRM_SETTING = "ballast.firm_id"
ALL_FIRMS_SETTING = "ballast.all_firms"
POLICY_NAME = "ballast_firm_isolation"


@dataclass(frozen=True)
class FirmTable:
    table: str
    firm_column: str


def firm_tables() -> list[FirmTable]:
    """The table and firm column of every concrete firm-owned model."""
    found = {
        FirmTable(m._meta.db_table, m._meta.get_field("firm").column)
        for m in firm_owned_models()
        if m._meta.managed and not m._meta.proxy
    }
    return sorted(found, key=lambda t: t.table)


def policy_condition(column: str) -> str:
    """The policy's USING and WITH CHECK expression for a table whose firm is ``column``."""
    return (
        f"({column} = NULLIF(current_setting('{FIRM_SETTING}', true), '')::bigint"
        f" OR current_setting('{ALL_FIRMS_SETTING}', true) = 'on')"
    )


def install(connection: BaseDatabaseWrapper) -> list[str]:
    """Enable, force and add the policy where missing; return what was done, one line each.

    Tables not created yet (a partial migrate) are skipped: the next migrate covers them.
    """
    if connection.vendor != "postgresql":
        return []
    done: list[str] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for ft in firm_tables():
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, EXISTS ("
                "  SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)"
                " FROM pg_class c WHERE c.oid = to_regclass(%s)",
                [POLICY_NAME, quote(ft.table)],
            )
            row = cursor.fetchone()
            if row is None:
                continue
            enabled, forced, has_policy = row
            table = quote(ft.table)
            if not has_policy:
                condition = policy_condition(quote(ft.firm_column))
                cursor.execute(
                    f"CREATE POLICY {POLICY_NAME} ON {table} "
                    f"USING {condition} WITH CHECK {condition}"
                )
                done.append(f"{ft.table}: policy {POLICY_NAME} created")
            if not enabled:
                cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
                done.append(f"{ft.table}: row level security enabled")
            if not forced:
                cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
                done.append(f"{ft.table}: row level security forced")
    return done


def active_for(connection: BaseDatabaseWrapper, table: str) -> bool:
    """Whether row-level security applies to the connected role on ``table`` (PostgreSQL
    refuses ``COPY … FROM`` into such a table: callers stage the rows and INSERT them)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_security_active(%s::regclass)", [table])
        return bool(cursor.fetchone()[0])
