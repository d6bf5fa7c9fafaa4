"""Production settings: everything in base.py, hardened, with no dev fallbacks."""

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY")  # no default: refuse to start without one
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-insecure"):
    raise ValueError("SECRET_KEY must be a random string of at least 50 characters.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# The audit chain's keys must be given explicitly: no key derived from SECRET_KEY.
_audit_keys_given = env.list("BALLAST_AUDIT_KEYS", default=[])
if not _audit_keys_given or not env.str("BALLAST_AUDIT_KEY_ID", default=""):
    raise ValueError("BALLAST_AUDIT_KEYS and BALLAST_AUDIT_KEY_ID must be set in production.")
# MFA secrets' encryption keys too: none derived from SECRET_KEY.
if not env.list("BALLAST_MFA_KEYS", default=[]):
    raise ValueError("BALLAST_MFA_KEYS must be set in production.")
# Webhooks go to public addresses only: a receiver on a private or loopback address could be
# one of our own services (SSRF). Turn on only for a receiver inside a trusted network.
BALLAST_WEBHOOKS_ALLOW_PRIVATE = env.bool("BALLAST_WEBHOOKS_ALLOW_PRIVATE", default=False)
# Sign-in lockout counts must be shared by every worker and machine: Redis, never the
# per-process default (docs/security.md).
if not env.str("CACHE_URL", default="").startswith(("redis://", "rediss://")):
    raise ValueError("CACHE_URL must name a Redis server (redis:// or rediss://) in production.")

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")

# Issue 15, health and metrics (advisory/health, docs/operations-health.md): JSON log lines by
# default; load balancers probe /healthz and /readyz over plain HTTP, and a scraper on the
# loopback or an allowed network reads /metrics without being sent to the public https name.
BALLAST_LOG_FORMAT = env.str("BALLAST_LOG_FORMAT", default="json")
if BALLAST_LOG_FORMAT not in ("plain", "json"):
    raise ValueError(f"BALLAST_LOG_FORMAT must be plain or json, not {BALLAST_LOG_FORMAT!r}")
LOGGING["handlers"]["console"]["formatter"] = BALLAST_LOG_FORMAT
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Query counts and durations per database alias: django-prometheus' wrapper of Django's own
# PostgreSQL backend (same vendor, connection and cursors; see docs/operations-health.md).
if env.bool("BALLAST_DB_METRICS", default=True):
    for _database in DATABASES.values():
        if _database["ENGINE"] == "django.db.backends.postgresql":
            _database["ENGINE"] = "django_prometheus.db.backends.postgresql"
