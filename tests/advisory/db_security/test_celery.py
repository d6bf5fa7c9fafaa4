"""A Celery task that forgot to set the firm sees nothing: a real worker, logged in as the
application role, with the ORM's scope out of the way."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import connection

from tests.celery_harness import ROOT, wait_for
from tests.db_roles import app_database_url

from .forgetful_tasks import count_rows

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's RLS"),
]


@pytest.fixture
def forgetful_worker(worker_env, tmp_path):
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "INFO", "-c", "1"]
    args += ["-P", "solo", "--without-gossip", "--without-mingle"]
    args += ["--include", "tests.advisory.db_security.forgetful_tasks"]
    with (tmp_path / "worker.log").open("a") as log:
        proc = subprocess.Popen(args, cwd=ROOT, env=worker_env, stdout=log, stderr=log)
    yield proc
    proc.terminate()
    proc.wait(20)


def _run(tmp_path, name: str, firm_id: int | None = None) -> dict[str, int]:
    out = tmp_path / f"{name}.json"
    count_rows.delay(str(out), firm_id)
    wait_for(out.exists, 60, f"the worker's {name} counts")
    return json.loads(out.read_text())


@pytest.mark.django_db(transaction=True)
def test_a_task_that_forgot_the_firm_sees_nothing(world_a, world_b, forgetful_worker, tmp_path):
    role = app_database_url().split("://")[1].split("@")[0].split(":")[0]
    forgot = _run(tmp_path, "forgot")
    assert f"as {role}" in forgot
    assert forgot.pop(f"as {role}") == 0
    assert set(forgot.values()) == {0}, forgot
    scoped = _run(tmp_path, "scoped", world_a.firm.pk)
    assert scoped["households (base manager)"] == 3  # firm A's three, none of firm B's
    assert scoped["advisory_household"] == 3
