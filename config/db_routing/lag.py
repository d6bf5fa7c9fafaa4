"""How far a streaming standby is behind its primary (issue 15, read replica).

Used by the router's lag guard and by /readyz. A standby that has replayed all the WAL it
received, and is still receiving, is caught up (0 seconds) however long ago the last write
was: ``now() - pg_last_xact_replay_timestamp()`` alone would call an idle but current replica
"behind". A standby whose WAL receiver is not running cannot know what it is missing, so it
counts as behind by the age of its last replayed transaction.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.db import DatabaseError, connections

# pg_stat_wal_receiver has a row only while the receiver runs (its pid is visible to any role).
LAG_SQL = """
SELECT CASE
  WHEN NOT pg_is_in_recovery() THEN 0
  WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
       AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


def replica_lag_seconds(alias: str) -> float | None:
    """Seconds ``alias`` is behind its primary: 0 when caught up (or not a standby at all),
    None when the alias is not configured, is not PostgreSQL, or cannot be reached."""
    if alias not in settings.DATABASES:
        return None
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError:
        # A broken connection must not stick: the next call connects afresh.
        with contextlib.suppress(DatabaseError):
            connection.close()
        return None
    return max(float(lag), 0.0)
