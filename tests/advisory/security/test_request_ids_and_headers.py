"""Request ids are ours; a client's is kept beside them. Signed-in pages are never stored by
a browser or a proxy. Production settings insist on HTTPS, secure cookies and Redis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.test import Client

from tests.factories import firm_events, log_in

ROOT = Path(__file__).resolve().parents[3]


def test_the_request_id_is_generated_and_the_clients_kept_beside_it(world_a):
    client = log_in(Client(), world_a.advisor.user)
    response = client.get("/", HTTP_X_REQUEST_ID="client-chosen-id-0001")
    ours = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", ours)
    (event,) = firm_events(world_a.firm, "households.listed")
    assert event.request_id == ours
    assert event.changes["client_request_id"] == "client-chosen-id-0001"


def test_a_malformed_client_request_id_is_dropped(world_a):
    client = log_in(Client(), world_a.advisor.user)
    response = client.get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    (event,) = firm_events(world_a.firm, "households.listed")
    assert event.request_id == response["X-Request-ID"]
    assert "client_request_id" not in event.changes


def test_each_request_gets_its_own_id(client, db):
    ids = {client.get("/auth/login/", HTTP_X_REQUEST_ID="same-every-time")["X-Request-ID"]}
    ids.add(client.get("/auth/login/", HTTP_X_REQUEST_ID="same-every-time")["X-Request-ID"])
    assert len(ids) == 2 and "same-every-time" not in ids


def test_signed_in_pages_are_no_store(world_a):
    for persona, path in (("advisor", "/"), ("client", "/portal/"), ("compliance", "/compliance/")):
        client = log_in(Client(), getattr(world_a, persona).user)
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert response["Pragma"] == "no-cache", path


def test_the_anonymous_sign_in_page_is_left_alone(client, db):
    response = client.get("/auth/login/")
    assert response.status_code == 200
    assert "Pragma" not in response


def test_strict_csp_stays(world_a):
    response = log_in(Client(), world_a.advisor.user).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def production_settings(**extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x7!" + "k" * 30 + "q9#Lm2@vR4$tZ8&wP1^yB6*cN3(hJ5)",
        "ALLOWED_HOSTS": "ballast.example.com",
        "DATABASE_URL": "sqlite:///:memory:",
        "CACHE_URL": "redis://127.0.0.1:6379/0",
        **extra,
    }
    if not env["CACHE_URL"]:
        del env["CACHE_URL"]  # not set at all
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.CACHES['default']['BACKEND'], s.BALLAST_TRUSTED_PROXY_COUNT)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_give_hsts_secure_cookies_and_redis():
    run = production_settings(BALLAST_TRUSTED_PROXY_COUNT="1")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "31536000",
        "True",
        "True",
        "True",
        "True",
        "True",
        "django.core.cache.backends.redis.RedisCache",
        "1",
    ]


def test_production_settings_refuse_a_per_process_cache():
    for cache_url in ("", "locmemcache://", "dbcache://cache_table"):
        run = production_settings(CACHE_URL=cache_url)
        assert run.returncode != 0
        assert "CACHE_URL must name a Redis server" in run.stderr
