"""The readiness checks of /readyz, as django-health-check plugin classes.

Each check raises ``ServiceUnavailable`` with a short reason when it fails and otherwise
leaves what it found in ``found`` (shown in /readyz's JSON). Nothing here names a firm or
shows firm data: the body is served to anyone who can reach the URL.

They read the primary (``using``), never the replica a read-only request may be routed to:
readiness is about the primary's state. Checks that use the ORM run through
``sync_to_async(thread_sensitive=True)``: in the same thread (and connection) as the rest of
the request, never a pool thread of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from asgiref.sync import sync_to_async
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max, Min
from django.utils import timezone
from django_scopes import scopes_disabled
from health_check import Database
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

from config.celery import app as celery_app


@dataclasses.dataclass
class DatabaseReachable(Database):
    """The library's ``SELECT 1`` on the default database (its own short connection)."""

    name = "database"
    found = "answered SELECT 1"


_MIGRATIONS_SEEN_APPLIED: set[str] = set()  # aliases whose migrations were all applied once


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration this code ships is recorded as applied.

    Once all are applied the answer cannot change for this process's code (a deploy brings
    new code and a new process), so it is kept and the migration files are not read again.
    """

    name = "migrations"
    alias: str = DEFAULT_DB_ALIAS

    async def run(self) -> None:
        self.found = await sync_to_async(self._check, thread_sensitive=True)()

    def _check(self) -> str:
        if self.alias in _MIGRATIONS_SEEN_APPLIED:
            return "all applied"
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as exc:
            reason = f"cannot read the migration table ({type(exc).__name__})"
            raise ServiceUnavailable(reason) from exc
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied")
        _MIGRATIONS_SEEN_APPLIED.add(self.alias)
        return "all applied"


@dataclasses.dataclass
class BrokerReachable(HealthCheck):
    """Celery's broker (Redis) accepts a connection. The URL is never shown (it may carry a
    password); with no broker configured tasks run in-process and there is nothing to reach."""

    name = "broker"
    connect_timeout_s: float = 2.0

    def run(self) -> None:  # kombu is blocking: the library runs this in a pool thread
        conf = celery_app.conf
        if conf.task_always_eager:
            self.found = "no broker configured: tasks run in-process"
            return
        connection = celery_app.connection_for_write(connect_timeout=self.connect_timeout_s)
        try:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=self.connect_timeout_s
            )
        except Exception as exc:  # kombu raises its own and the transport's errors
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc
        finally:
            connection.release()
        self.found = "accepted a connection"


@dataclasses.dataclass
class ReplicaLag(HealthCheck):
    """The read replica, when one is configured, is reachable and at most
    ``BALLAST_REPLICA_MAX_LAG_S`` seconds behind the primary."""

    name = "replica"
    alias: str = "replica"

    async def run(self) -> None:
        self.found = await sync_to_async(self._check, thread_sensitive=True)()

    def _check(self) -> str:
        if self.alias not in settings.DATABASES:
            return "no replica configured"
        from config.db_routing import lag  # the replica's own module (config/db_routing)

        seconds = lag.replica_lag_seconds(self.alias)
        limit = float(settings.BALLAST_REPLICA_MAX_LAG_S)
        if seconds is None:
            raise ServiceUnavailable("replica unreachable")
        if seconds > limit:
            raise ServiceUnavailable(f"replica lags {seconds:.1f} s (limit {limit:g} s)")
        return f"lag {seconds:.1f} s (limit {limit:g} s)"


def installed_at() -> dt.datetime | None:
    """When this database was first migrated: the start of the first drift run's wait."""
    migrations = MigrationRecorder.Migration.objects.using(DEFAULT_DB_ALIAS)
    return migrations.aggregate(first=Min("applied"))["first"]


@dataclasses.dataclass
class RecentDriftRun(HealthCheck):
    """At least one firm's drift run completed within ``BALLAST_READY_DRIFT_MAX_AGE_HOURS``
    (0 turns the check off). The nightly batch is what advisors' pages show; if none has
    finished for longer than that, the workers or beat are stuck.

    A fresh install cannot have a run yet: with no firms there is nothing to compute, and
    with firms but no completed run ever, the database's first migration starts the clock.
    Only ages are shown, never which firm.
    """

    name = "drift"

    async def run(self) -> None:
        self.found = await sync_to_async(self._check, thread_sensitive=True)()

    def _check(self) -> str:
        hours = float(settings.BALLAST_READY_DRIFT_MAX_AGE_HOURS)
        if hours <= 0:
            return "check turned off (BALLAST_READY_DRIFT_MAX_AGE_HOURS=0)"
        limit = dt.timedelta(hours=hours)
        now = timezone.now()
        firm_model = apps.get_model("advisory", "Firm")
        # The health package belongs to advisory's core, which imports no feature app: the
        # drift-run model is looked up by name. Every firm at once, on purpose: a platform
        # question, answered with one aggregate and no rows.
        drift_run = apps.get_model("portfolios", "DriftRun")
        if not firm_model.objects.using(DEFAULT_DB_ALIAS).exists():
            return "no firms yet: no drift run expected"
        with scopes_disabled():
            latest = (
                drift_run.objects.using(DEFAULT_DB_ALIAS)
                .filter(state="complete")
                .aggregate(latest=Max("finished_at"))["latest"]
            )
        if latest is not None:
            age = now - latest
            if age > limit:
                raise ServiceUnavailable(
                    f"latest completed drift run finished {_hours(age)} ago (limit {hours:g} h)"
                )
            return f"latest completed drift run finished {_hours(age)} ago (limit {hours:g} h)"
        since = installed_at()
        if since is not None and now - since <= limit:
            return f"no completed drift run yet; installed {_hours(now - since)} ago"
        raise ServiceUnavailable(f"no completed drift run in {hours:g} h")


def _hours(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 3600:.1f} h"


def readiness_checks() -> list[HealthCheck]:
    return [
        DatabaseReachable(),
        MigrationsApplied(),
        BrokerReachable(),
        ReplicaLag(),
        RecentDriftRun(),
    ]


def describe(check: Any) -> str:
    return getattr(check, "found", "ok")
