"""Locks for rows the application role may not lock.

``SELECT … FOR UPDATE`` (any row lock) needs UPDATE privilege on the table, which the
application role never has on the append-only books and records. Code that must serialise
work on such a row (one release of a report, one notice per client) takes a transaction-level
advisory lock on a name instead: held until the transaction ends, like a row lock.
"""

from __future__ import annotations

from django.db import connection


def lock_for_transaction(name: str) -> None:
    """Wait for, then hold until the transaction ends, the lock called ``name`` (PostgreSQL;
    SQLite's immediate transactions serialise writers already)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
