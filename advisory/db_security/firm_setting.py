"""Tell PostgreSQL, per transaction, which firm the code is scoped to.

An execute wrapper on every PostgreSQL connection mirrors the ORM's firm scope
(:mod:`advisory.tenancy`) into two transaction-local settings that the row-level security
policies read (:mod:`.row_security`):

- inside ``firm_scope(firm)``: ``ballast.firm_id = '<id>'``;
- inside ``django_scopes.scopes_disabled()`` (code that asked for every firm, explicitly):
  ``ballast.all_firms = 'on'``;
- anywhere else: both empty, and the policies show no firm-owned row at all.

They are set with ``set_config(…, true)``: local to the transaction, so nothing outlives it
and a pooled server connection (pgbouncer in transaction mode) carries nothing to the next
client. Inside a transaction the settings are sent before the first statement and again only
when the scope changes (or after a savepoint rollback, which may have undone them). A statement
run in autocommit mode is wrapped in a transaction of its own (``BEGIN; set_config…`` sent
together, the statement, ``COMMIT``): two more round trips, measured in docs/deploy.md.

A login that must act as another role through a transaction pooler (the test suite logs in as
the superuser and works as the application role) names that role in its alias's settings under
``TRANSACTION_ROLE``: the wrapper then assumes it per transaction too (``set_config('role', …,
true)``, never a session ``SET ROLE`` that a pooled server connection would keep); ``"none"``
is the login's own role. Production logs in as the application role and sets nothing.

SQLite gets no wrapper: there the ORM's scoped managers are the only wall.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import NO_DB_ALIAS, BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django_scopes import get_scope
from psycopg import pq

from .row_security import ALL_FIRMS_SETTING, FIRM_SETTING

Wanted = tuple[str, str]  # (firm id or "", "on" or "")
TRANSACTION_ROLE = "BALLAST_TRANSACTION_ROLE"  # key of an alias's settings dict (docstring)
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
# Commands PostgreSQL refuses inside a transaction block: never wrapped (none reads a table).
NO_TRANSACTION = re.compile(
    r"\s*(CREATE\s+DATABASE|DROP\s+DATABASE|VACUUM|ALTER\s+SYSTEM|REINDEX|CLUSTER|"
    r"(CREATE|DROP)\s+TABLESPACE|(CREATE|DROP)(\s+UNIQUE)?\s+INDEX\s+CONCURRENTLY)",
    re.IGNORECASE,
)


def wanted_setting() -> Wanted:
    """What the database should be told under the current ORM scope."""
    current = get_scope()
    if not current.get("_enabled", True):
        return ("", "on")
    firm = current.get("firm")
    if firm is None:
        return ("", "")
    return (str(int(firm if isinstance(firm, int) else firm.pk)), "")


def setting_sql(wanted: Wanted) -> str:
    firm_id, all_firms = wanted
    # Both values are digits or fixed words (never user input), so they are inlined: the
    # autocommit path sends this with BEGIN in one round trip, which parameters would forbid.
    if firm_id and not firm_id.isdigit():
        raise ValueError(f"not a firm id: {firm_id!r}")
    return (
        f"SELECT set_config('{FIRM_SETTING}', '{firm_id}', true), "
        f"set_config('{ALL_FIRMS_SETTING}', '{'on' if all_firms else ''}', true)"
    )


def role_sql(role: str | None) -> str:
    """The per-transaction role's part of the settings statement ("" when none is configured)."""
    if not role:
        return ""
    if not ROLE_NAME.match(role):
        raise ValueError(f"not a role name: {role!r}")
    return f", set_config('role', '{role}', true)"


class FirmSetting:
    """The execute wrapper of one connection (see the module docstring)."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection
        self.applied: Wanted | None = None  # what the open transaction was told, if anything

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict
    ) -> Any:
        raw = self.connection.connection
        status = raw.info.transaction_status
        wanted = wanted_setting()
        role = self.connection.settings_dict.get(TRANSACTION_ROLE)
        if role:
            wanted = (*wanted, role)  # a change of role is sent like a change of scope
        if status == pq.TransactionStatus.IDLE:
            self.applied = None
            if self.connection.get_autocommit():
                if isinstance(sql, str) and NO_TRANSACTION.match(sql):
                    return execute(sql, params, many, context)
                statement = setting_sql(wanted[:2]) + role_sql(role)
                return self._own_transaction(raw, statement, execute, sql, params, many, context)
        if (
            status == pq.TransactionStatus.INTRANS and self.applied != wanted
        ) or status == pq.TransactionStatus.IDLE:
            raw.execute(setting_sql(wanted[:2]) + role_sql(role))
            self.applied = wanted
        result = execute(sql, params, many, context)
        if isinstance(sql, str) and sql.lstrip()[:20].upper().startswith("ROLLBACK TO"):
            self.applied = None  # the settings made since that savepoint are undone
        return result

    def _own_transaction(
        self,
        raw: Any,
        statement: str,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict,
    ) -> Any:
        raw.execute("BEGIN; " + statement)
        try:
            result = execute(sql, params, many, context)
        except BaseException:
            if raw.info.transaction_status != pq.TransactionStatus.IDLE:
                raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        return result


@contextmanager
def raw_access(connection: BaseDatabaseWrapper = default_connection) -> Iterator[None]:
    """For code that hands a statement to psycopg directly (``COPY``), past the wrapper: a
    transaction (``atomic``) in which the firm setting has already been sent."""
    with transaction.atomic(using=connection.alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")  # the wrapper sends the setting first
        yield


def install_on(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver: add the wrapper to a PostgreSQL connection, once."""
    if connection.vendor != "postgresql" or connection.alias == NO_DB_ALIAS:
        return  # the maintenance connection (CREATE/DROP DATABASE) reads no firm's rows
    if not any(isinstance(w, FirmSetting) for w in connection.execute_wrappers):
        connection.execute_wrappers.append(FirmSetting(connection))


def connect() -> None:
    connection_created.connect(install_on, dispatch_uid="ballast-firm-setting")
