"""Send reads that may be a little stale to the read replica (issue 15).

Reads go to the ``replica`` alias only when all of these hold, and to the primary otherwise:

- the code marked them read-only: a GET/HEAD page (:class:`.middleware.ReplicaReadsMiddleware`)
  or a block in :func:`use_replica` (a report batch's reads, an examination export); a
  streamed page's body (the audit trail's CSV and JSON exports) is marked as its page;
- the replica is configured (``REPLICA_DATABASE_URL``) and no further behind than
  ``BALLAST_REPLICA_MAX_LAG_S`` (the lag guard; the measurement is kept for ``LAG_CACHE_S``);
- in a :func:`use_replica` block, nothing has been written yet (once the block asks the
  primary to write, the rest of it reads there too); and for a block given ``fresh_since``
  (a task doing what a request asked for: a report batch, an examination export), the replica
  has replayed everything committed before that moment, so the task sees what its request saw.
  A GET page's writes are side records (the audit trail's "viewed" events) that the page does
  not read back, so they do not move the page's later reads; a page that reads back what it
  wrote wraps that in :func:`use_primary`.
  Read-your-writes across requests: a browser that sent a POST (or another unsafe method)
  reads from the primary for ``BALLAST_READ_YOUR_WRITES_S`` seconds (see the middleware);
- the primary is not inside a transaction (a read in a transaction belongs to it: it may
  read what the transaction wrote, or decide what it writes);
- the model is not authentication or session state (a signed-out session, a disabled user or
  a removed second factor must take effect at once, not after the replica's lag).

Writes always go to the primary. Every PostgreSQL alias carries the firm setting of the RLS wall
(advisory/db_security/firm_setting.py), so tenancy holds on the replica as on the primary.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connections

from .lag import replica_lag_seconds

PRIMARY = "default"
REPLICA = "replica"
LAG_CACHE_S = 1.0
# Apps and models whose rows decide who may do what: always read from the primary (a
# deactivated member or a revoked API token must lose access at once, not after the lag).
PRIMARY_ONLY_APPS = frozenset({"sessions", "usersessions", "mfa", "account", "auth"})
PRIMARY_ONLY_MODELS = frozenset({"advisory.membership", "advisory.apitoken"})

PAGE = "page"  # a GET/HEAD request (the middleware): writes do not move later reads
BLOCK = "block"  # a use_replica() block: after a write, the block reads the primary
_read_only: ContextVar[str | None] = ContextVar("ballast_replica_reads", default=None)
_wrote: ContextVar[bool] = ContextVar("ballast_wrote_primary", default=False)
_fresh_since: ContextVar[float | None] = ContextVar("ballast_replica_fresh_since", default=None)
_lag_lock = threading.Lock()
_lag_seen: tuple[float, float | None] | None = None  # (monotonic time, lag) of the last check


@contextmanager
def use_replica(fresh_since: dt.datetime | None = None) -> Iterator[None]:
    """Let the block's reads go to the replica (when it is usable; see the module docstring).

    ``fresh_since``: only while the replica is provably past that moment (its lag is shorter
    than the time since), e.g. the creation of the batch a task works for; otherwise the
    block reads the primary, as a stale copy could miss what the request just wrote."""
    token = _read_only.set(BLOCK)
    wrote = _wrote.set(False)
    since = _fresh_since.set(None if fresh_since is None else fresh_since.timestamp())
    try:
        yield
    finally:
        _fresh_since.reset(since)
        _wrote.reset(wrote)
        _read_only.reset(token)


@contextmanager
def page_reads() -> Iterator[None]:
    """Mark the block as a read-only page's (the middleware, and a streamed page's body)."""
    token = _read_only.set(PAGE)
    try:
        yield
    finally:
        _read_only.reset(token)


@contextmanager
def use_primary() -> Iterator[None]:
    """Keep the block's reads on the primary (inside a read-only page)."""
    token = _read_only.set(None)
    try:
        yield
    finally:
        _read_only.reset(token)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def replica_lag_bound() -> float | None:
    """How far behind the replica may be now, at most: the last measurement plus its age
    (None when it cannot be measured). A measurement is reused for ``LAG_CACHE_S`` seconds
    (one query a second per process)."""
    global _lag_seen
    now = time.monotonic()
    seen = _lag_seen
    if seen is None or now - seen[0] >= LAG_CACHE_S:
        with _lag_lock:
            seen = _lag_seen
            if seen is None or now - seen[0] >= LAG_CACHE_S:
                seen = (time.monotonic(), replica_lag_seconds(REPLICA))
                _lag_seen = seen
    measured_at, lag = seen
    return None if lag is None else lag + (time.monotonic() - measured_at)


def replica_fresh_enough() -> bool:
    """The lag guard: the replica answers and is within ``BALLAST_REPLICA_MAX_LAG_S``, and in a
    block given ``fresh_since`` it is past that moment."""
    lag = replica_lag_bound()
    if lag is None or lag > settings.BALLAST_REPLICA_MAX_LAG_S:
        return False
    since = _fresh_since.get()
    return since is None or lag < time.time() - since


def forget_lag() -> None:
    """Drop the cached measurement (tests; after a failover)."""
    global _lag_seen
    _lag_seen = None


def _primary_only(model: type[Any] | None) -> bool:
    if model is None:
        return False
    meta = model._meta
    return (
        meta.app_label in PRIMARY_ONLY_APPS
        or meta.label_lower in PRIMARY_ONLY_MODELS
        or f"{meta.app_label}.{meta.object_name}" == settings.AUTH_USER_MODEL
    )


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry; answers None (Django's default) when it has no opinion."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        mode = _read_only.get()
        if mode is None or (mode == BLOCK and _wrote.get()) or not replica_configured():
            return PRIMARY
        if _primary_only(model) or connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA if replica_fresh_enough() else PRIMARY

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        # select_for_update() and get_or_create() ask here too.
        _wrote.set(True)
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {PRIMARY, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True  # the same database, one copy of it behind
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None
