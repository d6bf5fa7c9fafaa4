"""/healthz answers without the database; /readyz fails with a 503 naming the cause when the
broker is down, the replica lags, migrations are missing or drift has stopped, and passes with
what each check found when all is well."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from advisory.health import checks
from config.db_routing import lag
from portfolios.models import DriftRun
from tests import factories

from .conftest import CLOSED_PORT_URL, REDIS_URL

CHECKS = {"database", "migrations", "broker", "replica", "drift"}


def readyz(client: Client | None = None):
    response = (client or Client()).get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response, response.json()


@pytest.fixture
def replica(monkeypatch):
    """A configured replica whose lag the test sets (the router's own module is faked)."""
    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    monkeypatch.setattr(settings, "BALLAST_REPLICA_MAX_LAG_S", 10.0)

    def lagging(seconds: float | None) -> None:
        monkeypatch.setattr(lag, "replica_lag_seconds", lambda alias: seconds)

    return lagging


def completed_run(firm, finished_ago: dt.timedelta) -> DriftRun:
    finished = timezone.now() - finished_ago
    with scopes_disabled():
        return DriftRun.objects.create(
            firm=firm, as_of=finished.date(), state="complete", finished_at=finished
        )


def test_healthz_is_alive_without_the_database(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_passes_when_all_is_well(world_a, world_b, broker, replica):
    broker(REDIS_URL)
    replica(0.4)
    completed_run(world_a.firm, dt.timedelta(hours=3))
    response, body = readyz()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == CHECKS
    assert all(entry["ok"] for entry in body["checks"].values())
    found = {name: entry["detail"] for name, entry in body["checks"].items()}
    assert found["broker"] == "accepted a connection"
    assert found["replica"] == "lag 0.4 s (limit 10 s)"
    assert found["drift"] == "latest completed drift run finished 3.0 h ago (limit 36 h)"
    assert found["migrations"] == "all applied"
    for marker in ("Alpha", "ZetaSecret", "alpha", "zeta", "6379", "redis"):
        assert marker not in response.content.decode()


def test_readyz_fails_naming_the_broker_when_it_is_down(world_a, broker):
    broker(CLOSED_PORT_URL)
    completed_run(world_a.firm, dt.timedelta(hours=1))
    response, body = readyz()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"]["ok"] is False
    assert "broker unreachable" in body["checks"]["broker"]["detail"]
    assert "127.0.0.1:1" not in response.content.decode()  # the broker URL is not shown
    assert body["checks"]["database"]["ok"] is True


def test_readyz_fails_naming_the_replica_when_it_lags_past_the_setting(world_a, replica):
    replica(42.0)
    completed_run(world_a.firm, dt.timedelta(hours=1))
    response, body = readyz()
    assert response.status_code == 503
    assert body["failed"] == ["replica"]
    assert body["checks"]["replica"]["detail"] == "Unavailable: replica lags 42.0 s (limit 10 s)"


def test_an_unreachable_replica_fails_too(db, replica):
    replica(None)
    response, body = readyz()
    assert response.status_code == 503
    assert body["failed"] == ["replica"]
    assert "replica unreachable" in body["checks"]["replica"]["detail"]


def test_both_causes_are_named_at_once(db, broker, replica):
    broker(CLOSED_PORT_URL)
    replica(11.0)
    response, body = readyz()
    assert response.status_code == 503
    assert body["failed"] == ["broker", "replica"]


def test_without_a_replica_or_a_broker_the_json_says_so(db):
    response, body = readyz()
    assert response.status_code == 200, body
    assert body["checks"]["replica"]["detail"] == "no replica configured"
    assert body["checks"]["broker"]["detail"] == "no broker configured: tasks run in-process"


def test_a_fresh_install_with_no_firms_is_ready(db):
    response, body = readyz()
    assert response.status_code == 200, body
    assert body["checks"]["drift"]["detail"] == "no firms yet: no drift run expected"


def test_firms_without_a_run_are_ready_while_the_install_is_young(world_a):
    response, body = readyz()
    assert response.status_code == 200, body
    assert body["checks"]["drift"]["detail"].startswith("no completed drift run yet; installed")


def test_firms_that_never_had_a_run_fail_once_the_install_is_old(world_a, monkeypatch):
    monkeypatch.setattr(checks, "installed_at", lambda: timezone.now() - dt.timedelta(days=3))
    response, body = readyz()
    assert response.status_code == 503
    assert body["failed"] == ["drift"]
    assert body["checks"]["drift"]["detail"] == "Unavailable: no completed drift run in 36 h"


def test_a_stale_drift_run_fails_and_the_setting_moves_the_limit(world_a, world_b, settings):
    completed_run(world_a.firm, dt.timedelta(hours=40))
    with scopes_disabled():  # a newer run that failed does not count
        DriftRun.objects.create(firm=world_b.firm, as_of=dt.date.today(), state="failed")
    response, body = readyz()
    assert response.status_code == 503
    assert body["failed"] == ["drift"]
    assert "finished 40.0 h ago (limit 36 h)" in body["checks"]["drift"]["detail"]
    settings.BALLAST_READY_DRIFT_MAX_AGE_HOURS = 48
    assert readyz()[0].status_code == 200
    settings.BALLAST_READY_DRIFT_MAX_AGE_HOURS = 0
    _, body = readyz()
    assert body["checks"]["drift"]["detail"].startswith("check turned off")


def test_one_recent_firm_is_enough(world_a, world_b):
    completed_run(world_a.firm, dt.timedelta(hours=50))
    completed_run(world_b.firm, dt.timedelta(hours=2))
    assert readyz()[0].status_code == 200


def test_unapplied_migrations_fail(db, monkeypatch):
    class Behind(checks.MigrationExecutor):
        def migration_plan(self, targets, clean_start=False):
            return [("advisory", "0999_not_yet")]

    monkeypatch.setattr(checks, "MigrationExecutor", Behind)
    response, body = readyz()
    assert response.status_code == 503
    assert body["failed"] == ["migrations"]
    assert body["checks"]["migrations"]["detail"] == "Unavailable: 1 migration(s) not applied"


def test_the_probes_answer_a_signed_in_user_the_same_and_show_no_firm(world_a, world_b):
    completed_run(world_b.firm, dt.timedelta(hours=1))
    client = factories.log_in(Client(), world_a.advisor.user)
    response, body = readyz(client)
    assert response.status_code == 200, body
    assert "Alpha" not in response.content.decode()
    assert client.get("/healthz").status_code == 200


def test_only_get_is_answered(db):
    assert Client().post("/healthz").status_code == 405
    assert Client().put("/readyz").status_code == 405
    assert Client().head("/readyz").status_code == 200
