"""deploy/systemd: the units systemd itself accepts, one worker per queue the settings
declare, and each unit runs what the repository has (the gunicorn config, the beat lock)."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.celery_harness import ROOT

UNITS = ROOT / "deploy" / "systemd"


def unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read(UNITS / name)
    return parser


def wants(name: str) -> set[str]:
    text = (UNITS / name).read_text()
    return {
        each
        for line in text.splitlines()
        if line.startswith("Wants=")
        for each in line.removeprefix("Wants=").split()
    }


def test_the_target_starts_web_beat_and_a_worker_per_queue():
    workers = {f"ballast-worker@{queue}.service" for queue in settings.BALLAST_QUEUES}
    assert wants("ballast.target") == {"ballast-web.service", "ballast-beat.service", *workers}


def test_each_unit_runs_what_the_repository_has():
    web = unit("ballast-web.service")["Service"]["ExecStart"]
    assert "gunicorn -c config/gunicorn.conf.py config.wsgi:application" in web
    assert (ROOT / "config" / "gunicorn.conf.py").exists()
    worker = unit("ballast-worker@.service")["Service"]["ExecStart"]
    assert "celery -A config worker -Q %i " in worker
    beat = unit("ballast-beat.service")["Service"]["ExecStart"]
    assert "celery -A config beat" in beat
    # Beat on two hosts is safe only because every beat takes the lock.
    assert settings.CELERY_BEAT_SCHEDULER == "config.beat.SingleBeatScheduler"
    for name in ("ballast-web.service", "ballast-worker@.service", "ballast-beat.service"):
        assert unit(name)["Service"]["User"] == "ballast"
        text = (UNITS / name).read_text()
        assert "\nEnvironment=DJANGO_SETTINGS_MODULE=config.settings.production\n" in text


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    # Point the units at this checkout, so the programs they name exist.
    for path in UNITS.iterdir():
        (tmp_path / path.name).write_text(path.read_text().replace("/srv/ballast", str(ROOT)))
    (tmp_path / "ballast-worker@drift.service").symlink_to(tmp_path / "ballast-worker@.service")
    names = ["ballast.target", "ballast-web.service", "ballast-beat.service"]
    names.append("ballast-worker@drift.service")
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(tmp_path / n) for n in names]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    problems = [line for line in result.stderr.splitlines() if line.strip()]
    assert (result.returncode, problems) == (0, []), result.stderr


def test_the_environment_example_names_what_production_refuses_to_start_without():
    example = (UNITS / "ballast.env.example").read_text()
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"):
        assert f"\n{name}=" in example
    for name in ("BALLAST_AUDIT_KEYS", "BALLAST_AUDIT_KEY_ID", "BALLAST_MFA_KEYS"):
        assert f"\n{name}=" in example
    assert Path(ROOT / "config" / "settings" / "production.py").exists()
