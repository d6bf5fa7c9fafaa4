"""A Celery task that forgets to enter its firm's scope (loaded only by the test's worker)."""

from __future__ import annotations

import json
from pathlib import Path

from celery import shared_task
from django.db import connection

from advisory.db_security.row_security import firm_tables
from advisory.models import Household
from advisory.tenancy import firm_scope


@shared_task
def count_rows(out: str, firm_id: int | None = None) -> None:
    """Count every firm-owned table by raw SQL and households through the unscoped base
    manager, in the firm's scope only if given one; write the counts to ``out``."""

    def counts() -> dict[str, int]:
        found = {"households (base manager)": Household._base_manager.count()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            found["as " + cursor.fetchone()[0]] = 0
            for ft in firm_tables():
                cursor.execute(f"SELECT count(*) FROM {ft.table}")  # noqa: S608
                found[ft.table] = cursor.fetchone()[0]
        return found

    if firm_id is None:
        result = counts()
    else:
        with firm_scope(firm_id):
            result = counts()
    Path(out).write_text(json.dumps(result))
