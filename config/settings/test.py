"""Test settings: PostgreSQL by default, a fast hasher, mail kept in memory, stored files
(archived reports) in a temporary directory, never the checkout's var/media."""

import os
import tempfile
from pathlib import Path

from config.db_routing.pooling import pooled

from .base import *  # noqa: F403
from .base import BALLAST_DB_POOLER, DATABASES, REST_FRAMEWORK, env

DATABASES["default"] = env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/ballast")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Issue 15: BALLAST_DB_POOLER=transaction when DATABASE_URL points at pgbouncer (make test). The
# replica is the replica tests' own (tests/config/replica starts a standby), never the suite's.
DATABASES["default"] = pooled(DATABASES["default"], BALLAST_DB_POOLER)
DATABASES.pop("replica", None)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ACCOUNT_RATE_LIMITS = False
# Off by default (the local-memory cache outlives a test); tests/advisory/security turn it on.
BALLAST_LOCKOUT = {"enabled": False}
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ballast-test-media-"))
# The audit chain: one fixed test key (tests of rotation set their own), exported to the
# environment so servers and workers the tests start (gunicorn with the base settings, Celery
# workers) hash under it too; anchors in a temporary directory, never var/anchors.
os.environ.setdefault("BALLAST_AUDIT_KEYS", "t1:test-audit-key-0123456789abcdef0123456789")
os.environ.setdefault("BALLAST_AUDIT_KEY_ID", "t1")
BALLAST_AUDIT_KEYS = {
    key_id: secret
    for key_id, _, secret in (item.partition(":") for item in env.list("BALLAST_AUDIT_KEYS"))
}
BALLAST_AUDIT_KEY_ID = env.str("BALLAST_AUDIT_KEY_ID")
# MFA secrets' key, exported for the same reason (a browser test's server reads TOTP secrets).
os.environ.setdefault("BALLAST_MFA_KEYS", "test-mfa-key-0123456789abcdef0123456789")
BALLAST_MFA_KEYS = env.list("BALLAST_MFA_KEYS")
BALLAST_AUDIT_ANCHOR_DIR = env.str("BALLAST_AUDIT_ANCHOR_DIR", default="") or tempfile.mkdtemp(
    prefix="ballast-test-anchors-"
)
# The API's throttles: high enough never to trip (tests/api/core/test_throttle.py lowers them).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"api_token": "100000/min", "api_user": "100000/min"}
# Webhooks: the tests' receiver listens on the loopback (tests/advisory/webhooks).
BALLAST_WEBHOOKS_ALLOW_PRIVATE = True
