"""Production's health and metrics settings: JSON logs, query metrics on PostgreSQL, probes
exempt from the HTTPS redirect, and a bad log format refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'log': s.LOGGING['handlers']['console']['formatter'], 'exempt': s.SECURE_REDIRECT_EXEMPT}))"
)


def production(**extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x7!" + "k" * 30 + "q9#Lm2@vR4$tZ8&wP1^yB6*cN3(hJ5)",
        "ALLOWED_HOSTS": "ballast.example.com",
        "DATABASE_URL": "postgres://ballast@127.0.0.1:5432/ballast",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        "BALLAST_AUDIT_KEYS": "p1:production-audit-key-0123456789abcdef",
        "BALLAST_AUDIT_KEY_ID": "p1",
        "BALLAST_MFA_KEYS": "production-mfa-key-0123456789abcdef0123",
        **extra,
    }
    if "BALLAST_LOG_FORMAT" not in extra:
        env.pop("BALLAST_LOG_FORMAT", None)  # production's own default is what is tested
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_logs_json_times_queries_and_lets_probes_use_http():
    run = production()
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["log"] == "json"
    assert shown["engine"] == "django_prometheus.db.backends.postgresql"
    assert {"^healthz$", "^readyz$", "^metrics$"} <= set(shown["exempt"])


def test_query_metrics_and_json_logs_can_be_turned_off():
    run = production(BALLAST_DB_METRICS="off", BALLAST_LOG_FORMAT="plain")
    assert run.returncode == 0, run.stderr
    shown = json.loads(run.stdout)
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["log"] == "plain"


def test_an_unknown_log_format_is_refused():
    run = production(BALLAST_LOG_FORMAT="xml")
    assert run.returncode != 0
    assert "BALLAST_LOG_FORMAT must be plain or json" in run.stderr
