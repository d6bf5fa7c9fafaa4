"""Database settings that a transaction pooler needs (issue 15, pgbouncer in transaction mode).

Behind pgbouncer in transaction mode each transaction may run on a different server
connection, and a server connection serves other clients in between, so nothing may live in a
server session: no server-side cursors (Django's ``.iterator()`` declares a named cursor that
outlives its statement), no prepared statements (pgbouncer 1.18 cannot carry them between
server connections), and no session ``SET`` (the firm setting and the test suite's role are
transaction-local: advisory/db_security/firm_setting.py).
"""

from __future__ import annotations

from typing import Any

POOLERS = ("", "transaction")


def pooled(database: dict[str, Any], pooler: str) -> dict[str, Any]:
    """``database`` (a DATABASES entry) made safe for ``pooler`` ("" = connected directly)."""
    if pooler not in POOLERS:
        raise ValueError(f"BALLAST_DB_POOLER must be one of {POOLERS!r}, not {pooler!r}")
    if pooler == "transaction" and database["ENGINE"] == "django.db.backends.postgresql":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return database
