"""The two database roles and what the application role may do.

- The **owner** role owns the schema: migrations run as it (it creates, alters and owns every
  table, trigger and function). It has ``BYPASSRLS`` so migrations and platform operators'
  commands (``dispose_records``, the benchmarks) see every firm; it is not a superuser.
- The **application** role is what web servers and Celery workers log in as: not a
  superuser, owns nothing, cannot bypass row-level security, may not create roles or
  databases. It gets SELECT/INSERT/UPDATE/DELETE on ordinary tables, only SELECT and INSERT
  on the append-only books and records (the audit trail, its disposals and the report
  archive), only SELECT on ``django_migrations``, and USAGE on sequences.

Everything here is idempotent: run it again and nothing changes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote as urlquote

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

# Append-only books and records (triggers refuse UPDATE/DELETE/TRUNCATE; advisory/0003, 0007,
# 0009, reports/0002): named by label, so advisory's core imports no feature app.
APPEND_ONLY_MODELS = (
    "advisory.AuditEvent",
    "advisory.AuditDisposal",
    "reports.ArchivedReport",
    "reports.ReportRelease",
)
READ_ONLY_TABLES = ("django_migrations",)
FULL = "SELECT, INSERT, UPDATE, DELETE"
APPEND = "SELECT, INSERT"


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str


def configured_roles() -> Roles:
    return Roles(owner=settings.BALLAST_DB_OWNER_ROLE, app=settings.BALLAST_DB_APP_ROLE)


def append_only_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS]


def privileges_for(table: str) -> str:
    if table in READ_ONLY_TABLES:
        return "SELECT"
    return APPEND if table in append_only_tables() else FULL


def role_exists(connection: BaseDatabaseWrapper, role: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


def is_current_role(connection: BaseDatabaseWrapper, role: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user = %s", [role])
        return bool(cursor.fetchone()[0])


def ensure_role(
    connection: BaseDatabaseWrapper, role: str, attributes: str, password: str | None = None
) -> bool:
    """Create ``role`` if missing, then (re)set its attributes; True when it was created.

    Needs a superuser connection (BYPASSRLS/NOBYPASSRLS may only be set by one)."""
    quote = connection.ops.quote_name
    created = False
    if not role_exists(connection, role):
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"CREATE ROLE {quote(role)} {attributes}")
            created = True
        except DatabaseError:
            # Another session created it in the meantime: roles are cluster-wide.
            if not role_exists(connection, role):
                raise
    with connection.cursor() as cursor:
        if _attributes_of(connection, role) != set(attributes.split()):
            cursor.execute(f"ALTER ROLE {quote(role)} {attributes}")
        if password:
            cursor.execute(
                connection.ops.compose_sql(f"ALTER ROLE {quote(role)} PASSWORD %s", [password])
            )
    return created


def _attributes_of(connection: BaseDatabaseWrapper, role: str) -> set[str]:
    """The role's attributes, spelled as in ``ALTER ROLE`` (only the ones we set)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolinherit "
            "FROM pg_roles WHERE rolname = %s",
            [role],
        )
        login, superuser, createrole, createdb, bypassrls, inherit = cursor.fetchone()
    flags = {
        "LOGIN": login,
        "SUPERUSER": superuser,
        "CREATEROLE": createrole,
        "CREATEDB": createdb,
        "BYPASSRLS": bypassrls,
        "INHERIT": inherit,
    }
    return {name if on else f"NO{name}" for name, on in flags.items()}


OWNER_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB BYPASSRLS INHERIT"
APP_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS NOINHERIT"


def ensure_roles(
    connection: BaseDatabaseWrapper, roles: Roles, app_password: str | None = None
) -> str | None:
    """Create or update both roles; return the app role's new password if one was made."""
    ensure_role(connection, roles.owner, OWNER_ATTRIBUTES)
    made = None
    if not role_exists(connection, roles.app) and app_password is None:
        made = app_password = secrets.token_urlsafe(24)
    ensure_role(connection, roles.app, APP_ATTRIBUTES, app_password)
    with connection.cursor() as cursor:
        # The app role must not be able to become anything else (SET ROLE): no memberships.
        cursor.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            [roles.app],
        )
        for (granted,) in cursor.fetchall():
            q = connection.ops.quote_name
            cursor.execute(f"REVOKE {q(granted)} FROM {q(roles.app)}")
    return made


def transfer_ownership(connection: BaseDatabaseWrapper, owner: str) -> list[str]:
    """Make ``owner`` own the database, the public schema's tables, sequences, views and
    functions (those made by earlier migrations run as someone else)."""
    quote = connection.ops.quote_name
    moved: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
            "AND pg_get_userbyid(c.relowner) <> %s "
            # A sequence owned by a column moves with its table.
            "AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d "
            "  WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))",
            [owner],
        )
        kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
        for name, kind in cursor.fetchall():
            cursor.execute(f"ALTER {kinds[kind]} {quote(name)} OWNER TO {quote(owner)}")
            moved.append(name)
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND pg_get_userbyid(p.proowner) <> %s",
            [owner],
        )
        for (signature,) in cursor.fetchall():
            cursor.execute(f"ALTER FUNCTION {signature} OWNER TO {quote(owner)}")
            moved.append(signature)
        cursor.execute("SELECT current_database()")
        database = cursor.fetchone()[0]
        cursor.execute(f"ALTER DATABASE {quote(database)} OWNER TO {quote(owner)}")
    return moved


def grant_app_privileges(connection: BaseDatabaseWrapper, app: str) -> int:
    """Grant the app role exactly its privileges on every table and sequence of the schema
    (revoking anything more first); return the number of tables."""
    quote = connection.ops.quote_name
    role = quote(app)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_schema()")
        database, schema = cursor.fetchone()
        cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {quote(database)} TO {role}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {quote(schema)} TO {role}")
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v')"
        )
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"REVOKE ALL ON {quote(table)} FROM {role}")
            cursor.execute(f"GRANT {privileges_for(table)} ON {quote(table)} TO {role}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quote(schema)} FROM {role}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {role}")
    return len(tables)


def app_database_url(connection: BaseDatabaseWrapper, app: str, password: str | None) -> str:
    """The ``DATABASE_URL`` the application should use (same server and database)."""
    db = connection.settings_dict
    auth = urlquote(app, safe="") + (f":{urlquote(password, safe='')}" if password else "")
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{urlquote(str(db['NAME']), safe='')}"
