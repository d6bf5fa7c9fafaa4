"""config/gunicorn.conf.py: it loads, sizes itself from the cores with environment overrides,
refuses bad values by name, and its access log carries the request ids."""

from __future__ import annotations

import os
import re
import runpy
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.celery_harness import ROOT, wait_for
from tests.factories import free_port

CONF = ROOT / "config" / "gunicorn.conf.py"


def load(monkeypatch, **env: str) -> dict:
    for name in [n for n in os.environ if n.startswith("GUNICORN_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def check_config(**env: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "gunicorn", "--check-config", "-c", str(CONF)]
    return subprocess.run(
        [*cmd, "config.wsgi:application"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "sqlite:///:memory:", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_gunicorn_accepts_the_config():
    result = check_config()
    assert result.returncode == 0, result.stderr


def test_a_bad_value_stops_it_by_name():
    result = check_config(GUNICORN_WORKERS="lots")
    assert result.returncode != 0
    assert "GUNICORN_WORKERS must be a whole number, not 'lots'" in result.stderr


def test_sized_from_the_cores_unless_told(monkeypatch):
    conf = load(monkeypatch)
    assert conf["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert (conf["worker_class"], conf["threads"]) == ("sync", 1)
    assert conf["max_requests"] > 0 and 0 < conf["max_requests_jitter"] < conf["max_requests"]
    assert conf["graceful_timeout"] <= conf["timeout"]
    assert conf["preload_app"] is False
    told = load(monkeypatch, GUNICORN_WORKERS="3", GUNICORN_THREADS="8", GUNICORN_TIMEOUT="90")
    assert (told["workers"], told["threads"], told["timeout"]) == (3, 1, 90)  # sync: one thread
    threaded = load(monkeypatch, GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="8")
    assert (threaded["worker_class"], threaded["threads"]) == ("gthread", 8)
    assert load(monkeypatch, GUNICORN_WORKER_CLASS="gthread")["threads"] == 4
    with pytest.raises(ValueError, match="GUNICORN_THREADS must be at least 1, not 0"):
        load(monkeypatch, GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="0")
    with pytest.raises(ValueError, match="GUNICORN_WORKER_CLASS must be one of"):
        load(monkeypatch, GUNICORN_WORKER_CLASS="gevent")


def test_an_exited_worker_leaves_no_live_gauges_behind(monkeypatch, tmp_path):
    conf = load(monkeypatch)
    mine, other = tmp_path / "gauge_liveall_4242.db", tmp_path / "gauge_liveall_4343.db"
    mine.write_bytes(b"")
    other.write_bytes(b"")
    exited = type("Worker", (), {"pid": 4242})()
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    conf["child_exit"](None, exited)  # not in multiprocess mode: nothing to do
    assert mine.exists()
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    conf["child_exit"](None, exited)
    assert not mine.exists() and other.exists()


@pytest.mark.integration
def test_the_access_log_carries_our_request_id_and_the_callers(tmp_path):
    port = free_port()
    log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": "sqlite:///:memory:",
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": str(log),
    }
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(CONF), "config.wsgi:application"]
    with (tmp_path / "error.log").open("w") as errors:
        server = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True
        )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/no-such-page/", headers={"X-Request-ID": "proxy-abc-12345"}
        )

        def fetch():
            try:
                urllib.request.urlopen(request, timeout=30)
            except urllib.error.HTTPError as response:  # the 404 we asked for
                response.close()
                return response
            except OSError:
                return None

        response = wait_for(fetch, 60, "gunicorn to answer")
        ours = response.headers["X-Request-ID"]
        assert response.status == 404 and re.fullmatch(r"[0-9a-f]{32}", ours)
        # Under load an earlier attempt may have timed out on our side: find our line.
        text = wait_for(
            lambda: log.exists() and f"rid={ours}" in log.read_text() and log.read_text(),
            10,
            "the request in the access log",
        )
        [line] = [each for each in text.splitlines() if f"rid={ours}" in each]
        assert f"rid={ours} client_rid=proxy-abc-12345" in line
        assert '"GET /no-such-page/ HTTP/1.1" 404' in line
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
