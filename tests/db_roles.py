"""The test suite's database roles: its connection runs as the application role
(tests/conftest.py ``django_db_setup``); a test that plays a superuser tampering with the
books steps up for a moment with :func:`as_superuser`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from advisory.db_security import roles
from advisory.db_security.firm_setting import TRANSACTION_ROLE


@contextmanager
def as_superuser() -> Iterator[None]:
    """Run the block as the session's superuser (``SET ROLE NONE``), inside the test's own
    transaction, then become the application role again."""
    per_transaction = connection.settings_dict.get(TRANSACTION_ROLE)
    if per_transaction:
        # Through a transaction pooler the role is assumed per transaction (tests/conftest.py):
        # "none" is the login's own role, sent before the block's next statement.
        connection.settings_dict[TRANSACTION_ROLE] = "none"
        try:
            yield
        finally:
            connection.settings_dict[TRANSACTION_ROLE] = per_transaction
        return
    role = connection.settings_dict["OPTIONS"].get("assume_role")
    if connection.vendor != "postgresql" or not role:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE NONE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(connection.ops.compose_sql("SET ROLE %s", [role]))


def app_database_url() -> str:
    """The test database's URL for the application role: what the servers and workers the
    tests start log in with (the superuser's while the suite is not switched to the role)."""
    db = connection.settings_dict
    if "assume_role" not in db["OPTIONS"] and TRANSACTION_ROLE not in db:
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return roles.app_database_url(
        connection, roles.configured_roles().app, os.environ.get("BALLAST_APP_DB_PASSWORD")
    )
