"""What is wrong with the connected database role, as ``check_db_security`` reports it."""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from .roles import append_only_tables
from .row_security import POLICY_NAME, firm_tables

REFUSED_ON_BOOKS = ("UPDATE", "DELETE", "TRUNCATE")


def problems(connection: BaseDatabaseWrapper) -> list[str]:
    """One line per problem; empty when the connection runs as a proper application role."""
    if connection.vendor != "postgresql":
        return [
            f"{connection.vendor}: no database roles or row-level security "
            "(the embedded demo keeps the ORM's firm scope as its only wall)"
        ]
    found: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, session_user, r.rolsuper, r.rolbypassrls, s.rolsuper "
            "FROM pg_roles r, pg_roles s "
            "WHERE r.rolname = current_user AND s.rolname = session_user"
        )
        user, session_user, is_super, bypasses, session_super = cursor.fetchone()
        if is_super:
            found.append(f"role {user} is a superuser")
        if bypasses:
            found.append(f"role {user} can bypass row-level security (BYPASSRLS)")
        if session_user != user and session_super:
            found.append(
                f"session user {session_user} is a superuser: RESET ROLE gets past role {user}"
            )
        cursor.execute(
            "SELECT r.rolname FROM pg_roles r WHERE r.rolname <> current_user "
            "AND (r.rolsuper OR r.rolbypassrls) AND pg_has_role(current_user, r.oid, 'MEMBER')"
        )
        for (other,) in cursor.fetchall():
            found.append(f"role {user} can become {other} (SET ROLE), which escapes the walls")
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND pg_has_role(current_user, c.relowner, 'USAGE') ORDER BY c.relname"
        )
        owned = [name for (name,) in cursor.fetchall()]
        if owned:
            shown = ", ".join(owned[:5]) + (f" and {len(owned) - 5} more" if len(owned) > 5 else "")
            found.append(f"role {user} owns {len(owned)} table(s): {shown}")
        for ft in firm_tables():
            cursor.execute(
                "SELECT c.relrowsecurity, c.relforcerowsecurity, EXISTS ("
                "  SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)"
                " FROM pg_class c WHERE c.oid = to_regclass(%s)",
                [POLICY_NAME, connection.ops.quote_name(ft.table)],
            )
            row = cursor.fetchone()
            if row is None:
                found.append(f"firm-owned table {ft.table} does not exist (migrate)")
                continue
            enabled, forced, has_policy = row
            if not (enabled and forced):
                found.append(f"firm-owned table {ft.table} lacks forced row-level security")
            if not has_policy:
                found.append(f"firm-owned table {ft.table} has no {POLICY_NAME} policy")
        for table in append_only_tables():
            for privilege in REFUSED_ON_BOOKS:
                cursor.execute(
                    "SELECT to_regclass(%s) IS NOT NULL "
                    "AND has_table_privilege(current_user, to_regclass(%s), %s)",
                    [table, table, privilege],
                )
                if cursor.fetchone()[0]:
                    found.append(f"role {user} may {privilege} the append-only table {table}")
    return found
