"""The demo (``make run``) serves friendly error pages, never Django's debug pages, and still
serves its static files (config/settings/demo.py).

The settings are loaded in a fresh interpreter, as ``make run`` loads them: the test run's own
settings (and pytest-django, which turns DEBUG off anyway) would prove nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
missing = client.get("/no-such-page/")
css = client.get("/static/css/ballast.css")
print(json.dumps({
    "debug": settings.DEBUG,
    "status": missing.status_code,
    "body": missing.content.decode(),
    "css": css.status_code,
    "css_type": css.get("Content-Type", ""),
}))
"""


def probe(settings_module: str, tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    env.pop("DEBUG", None)  # whatever the shell says, the settings module decides
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_unknown_url_on_the_demo_is_the_friendly_404_without_the_url_list(tmp_path):
    result = probe("config.settings.demo", tmp_path)
    assert result["debug"] is False
    assert result["status"] == 404
    body = result["body"]
    assert "Page not found" in body and 'class="error-page"' in body  # templates/404.html
    assert "ballast.css" in body  # styled like every page
    for debug_marker in ("URLconf", "urlpatterns", "DEBUG = True", "proposals/&lt;int"):
        assert debug_marker not in body
    assert result["css"] == 200 and result["css_type"].startswith("text/css")


def test_base_settings_would_have_shown_the_url_list(tmp_path):
    # The check above is meaningful: with base.py's DEBUG the same address lists every URL.
    result = probe("config.settings.base", tmp_path)
    assert result["debug"] is True and result["status"] == 404
    assert "URLconf" in result["body"]


def test_make_run_uses_the_demo_settings():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "runserver" in run and "DJANGO_SETTINGS_MODULE=$(DEMO_SETTINGS)" in run
    assert "DEMO_SETTINGS ?= config.settings.demo" in makefile
