"""Settings read from the environment.

The defaults give the embedded quick start: a SQLite file under ``var/`` and
Celery tasks run in-process. Production and the test suite set
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis).
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Queue

from config.db_routing.pooling import pooled

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
# A fixed development key is only acceptable while DEBUG is on; production.py
# refuses to start without a real one.
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-ballast-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "advisory.admin_apps.BallastAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",  # issue 13: the OpenAPI schema (/api/schema/)
    "drf_spectacular_sidecar",  # issue 13: Swagger UI's assets, vendored (/api/docs/)
    "django_htmx",
    "template_partials",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",  # the sessions page (advisory/views/account_security.py)
    "advisory",
    "advisory.health.apps.HealthConfig",  # issue 15: /healthz, /readyz, /metrics, task timings
    "portfolios",
    "reports",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # issue 15: first, times all
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "advisory.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "advisory.middleware.NoStoreMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "advisory.middleware.SessionLifetimeMiddleware",
    "advisory.middleware.SessionActivityMiddleware",
    "advisory.middleware.FirmScopeMiddleware",
    "advisory.middleware.StaffMfaMiddleware",
    "config.db_routing.middleware.ReplicaReadsMiddleware",  # issue 15: GET/HEAD → replica
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # issue 15: last
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "advisory.context_processors.firm",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ballast.sqlite3'}"),
}
# No ATOMIC_REQUESTS: every write goes through a workflow function that opens its own
# short transaction and appends its audit event last, so a firm's audit chain lock is held
# for the append alone, never across a slow page (docs/tenancy-and-audit.md).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# PostgreSQL's two roles (docs/deploy.md, "Database roles"): migrations and platform operators
# run as the owner; web servers and workers log in as the application role, which row-level
# security holds to the firm in scope. ``manage.py dbroles`` creates both.
BALLAST_DB_OWNER_ROLE = env.str("BALLAST_DB_OWNER_ROLE", default="ballast_owner")
BALLAST_DB_APP_ROLE = env.str("BALLAST_DB_APP_ROLE", default="ballast_app")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves a small team: WAL lets readers run beside the one
    # writer; IMMEDIATE takes the write lock when a transaction starts, so a second
    # writer waits (busy timeout) instead of failing with "database is locked" when it
    # tries to upgrade a read lock mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": env.int("SQLITE_BUSY_TIMEOUT_SECONDS", default=20),
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Issue 15, pooling and replicas (config/db_routing, docs/operations-db.md).
# BALLAST_DB_POOLER=transaction: DATABASE_URL points at pgbouncer in transaction mode, so no
# server-side cursors and no prepared statements (config/db_routing/pooling.py).
BALLAST_DB_POOLER = env.str("BALLAST_DB_POOLER", default="")
DATABASES["default"] = pooled(DATABASES["default"], BALLAST_DB_POOLER)
# A streaming standby for read-only pages, report rendering and exports (config/db_routing/
# router.py); writes, transactions and locks always go to the primary. Log in as the
# application role there too: the firm setting of the RLS wall is sent on every alias.
if env.str("REPLICA_DATABASE_URL", default=""):
    DATABASES["replica"] = pooled(env.db("REPLICA_DATABASE_URL"), BALLAST_DB_POOLER)
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_routing.router.ReplicaRouter"]
# A replica further behind its primary than this many seconds is skipped (reads go to the
# primary); a browser that wrote reads from the primary for BALLAST_READ_YOUR_WRITES_S seconds.
BALLAST_REPLICA_MAX_LAG_S = env.float("BALLAST_REPLICA_MAX_LAG_S", default=10.0)
BALLAST_READ_YOUR_WRITES_S = env.float("BALLAST_READ_YOUR_WRITES_S", default=10.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "advisory.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# NIST SP 800-63B-4: length and a blocklist, no composition rules, no rotation.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},  # NIST SP 800-63B-4, single-factor
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sessions: idle timeout (sliding) plus an absolute lifetime enforced by
# advisory.middleware.SessionLifetimeMiddleware.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login; firms invite users, nobody signs up.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "advisory.auth_adapter.BallastAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
# Never mail addresses we do not know (a spam vector); the page looks the same.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
# Passwords are guarded by advisory.lockout (below), which replaces allauth's password
# limit; allauth still applies this one to second-factor codes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# An e-mail change takes effect only once the new address is verified; the old address is
# told (as it is of password and second-factor changes).
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
USERSESSIONS_ADAPTER = "advisory.auth_adapter.BallastUserSessionsAdapter"
USERSESSIONS_TRACK_ACTIVITY = True  # "last seen", throttled by SessionActivityMiddleware
# Sign-in lockout (advisory/lockout/policy.py has the defaults; docs/security.md): failures
# counted per account and per IP in the shared cache (Redis in production), bounded backoff.
BALLAST_LOCKOUT: dict = {}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Ballast"
# allauth refuses to add an e-mail address to an account with a second factor unless this is
# on. Staff have one by default, and a new address here only takes effect once verified
# (advisory.views.account_security.VerifiedEmailChangeView), so staff may change theirs too.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# TOTP secrets and recovery-code seeds are encrypted at rest (advisory/mfa/crypto.py).
MFA_ADAPTER = "advisory.mfa.adapter.BallastMFAAdapter"

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ballast@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (the report archive) go through Django's storage API: local
# files here by default; production may set STORAGES["default"] to an S3-compatible store.
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")

CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://"),
}

# Content-Security-Policy: no inline script, everything from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Celery: with no broker configured, tasks run in-process (quick start).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers unacknowledged messages after this; keep it above the
# longest task's hard time limit.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60),
    # How often a worker sweeps for messages a dead worker left unacknowledged
    # (interval × throttle seconds); the integration tests shorten it.
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "nightly-pricing-and-drift": {
        "task": "portfolios.tasks.nightly",
        "schedule": crontab(hour=2, minute=30),
    },
    "resume-stalled-drift-runs": {
        "task": "portfolios.tasks.resume_stalled_runs",
        "schedule": env.float("BALLAST_DRIFT_WATCHDOG_SECONDS", default=120.0),
    },
    "resume-stalled-report-batches": {
        "task": "reports.tasks.resume_stalled_report_batches",
        "schedule": env.float("BALLAST_DRIFT_WATCHDOG_SECONDS", default=120.0),
    },
    # Publish every firm's chain head outside the database, then verify each chain against
    # all anchors so far (a cut tail or a replaced chain is reported the same night).
    "anchor-and-verify-audit": {
        "task": "advisory.tasks.anchor_and_verify",
        "schedule": crontab(hour=3, minute=30),
    },
    # Issue 13, webhooks: send the deliveries whose next attempt (a retry) is due.
    "send-due-webhooks": {
        "task": "advisory.webhooks.tasks.send_due_webhooks",
        "schedule": env.float("BALLAST_WEBHOOKS_SWEEP_SECONDS", default=30.0),
    },
}
# Issue 15, queues per workload (docs/deploy.md): a report batch cannot starve the nightly
# drift. A worker started without -Q consumes all four (the tests' and benches' workers do);
# production runs one worker per queue (deploy/systemd/ballast-worker@.service).
BALLAST_QUEUES = ("drift", "proposals", "reports", "default")
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in BALLAST_QUEUES]
CELERY_TASK_DEFAULT_QUEUE = "default"
# By name, so a new task lands by what it is called; first match wins (exact names first).
CELERY_TASK_ROUTES = {
    # Watchdogs must not wait behind the work they watch over.
    "*.resume_stalled_*": "default",
    "reports.tasks.*": "reports",
    "portfolios.tasks.nightly": "drift",  # the price feed, then each firm's pricing and drift
    "portfolios.tasks.price_firm": "drift",
    "portfolios.tasks.*drift*": "drift",
    "portfolios.tasks.*preview*": "drift",
    "portfolios.tasks.*propos*": "proposals",
    "portfolios.tasks.*batch*": "proposals",
}
# Two beats never both send: config/beat.py (a Redis lease; the others stand by).
CELERY_BEAT_SCHEDULER = "config.beat.SingleBeatScheduler"
BALLAST_BEAT_LOCK_URL = env.str("BALLAST_BEAT_LOCK_URL", default="")  # default: the broker
BALLAST_BEAT_LOCK_KEY = env.str("BALLAST_BEAT_LOCK_KEY", default="ballast:beat-lock")
BALLAST_BEAT_LOCK_TTL_S = env.float("BALLAST_BEAT_LOCK_TTL_S", default=60.0)

# The REST API (issue 13, advisory/api/): bearer tokens or the session (CSRF enforced), JSON
# errors with field messages, cursor pages, throttles per token and per user.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "advisory.api.authentication.TokenAuthentication",
        "advisory.api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "advisory.api.pagination.CursorPage",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "advisory.api.throttles.TokenRateThrottle",
        "advisory.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_token": env.str("BALLAST_API_TOKEN_RATE", default="1200/min"),
        "api_user": env.str("BALLAST_API_USER_RATE", default="2400/min"),
    },
    "EXCEPTION_HANDLER": "advisory.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
# API tokens: the longest and the default lifetime offered on /auth/api-tokens/.
BALLAST_API_TOKEN_MAX_DAYS = 365
BALLAST_API_TOKEN_DEFAULT_DAYS = 90
# The apps' domain errors the API answers with 409 (a conflict with the object's state) or
# 400 (bad input) instead of a 500 (advisory/api/errors.py); subclasses match too.
BALLAST_API_DOMAIN_ERRORS = {
    "conflict": (
        "portfolios.proposals.core.ProposalConflict",
        "portfolios.proposals.core.ProposalStateError",
        "portfolios.model_versions.steps.ModelConflict",
        "advisory.retention.holds.HoldError",
    ),
    "bad_input": (
        "portfolios.proposals.core.ProposalError",
        "portfolios.proposals.inputs.ProposalInputError",
        "portfolios.proposals.batches.BatchError",
        "portfolios.restrictions.lists.RestrictionError",
        "portfolios.model_versions.steps.ModelError",
        "portfolios.imports.mappings.MappingError",
        "portfolios.imports.csv_rows.FileError",
        "portfolios.executions.parse.ExecutionFileError",
        "reports.batches.ReportBatchError",
        "reports.records.export.ExportError",
        "advisory.people.errors.Refused",
    ),
}

# Issue 13, the OpenAPI schema and its docs page (config/api_docs_urls.py, config/api_schema.py).
REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] = "drf_spectacular.openapi.AutoSchema"
SPECTACULAR_SETTINGS = {
    "TITLE": "Ballast API",
    "VERSION": "v1",
    "DESCRIPTION": (
        "Households, accounts, positions, models, drift, proposals and reports of your firm, "
        "with the same role rules and audit trail as the pages. Authenticate with a personal "
        "API token (made on /auth/api-tokens/) sent as `Authorization: Bearer <token>`; a "
        "read-only token cannot write. Lists are cursor-paginated (follow `next`). POSTs that "
        "create accept an `Idempotency-Key` header: a retry with the same key returns the first "
        "result. Errors are JSON with a message per field."
    ),
    "SERVERS": [{"url": "/", "description": "This Ballast server"}],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,  # the schema does not describe its own route
    "COMPONENT_SPLIT_REQUEST": True,  # separate request/response shapes (read-only fields)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SECURITY": [{"bearerAuth": []}],
    # Choice sets that share a field name ("state", "side") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "ProposalStateEnum": "portfolios.models.proposals.ProposalState",
        "ModelVersionStateEnum": "portfolios.models.model_versions.ModelVersionState",
        "RestrictionSideEnum": "portfolios.models.restrictions.RestrictionSide",
        "TradeSideEnum": [("buy", "Buy"), ("sell", "Sell")],
        "ImportStateEnum": "portfolios.models.imports.ImportState",
        "DriftRunStateEnum": "portfolios.models.drift.DriftRunState",
        "DeliveryStateEnum": "advisory.models.webhooks.DeliveryState",
        "ReportBatchStateEnum": "reports.models.ReportBatchState",
    },
    # After the enum hook: every operation documents its JSON errors (400/401/403/404/429…).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.add_error_responses",
    ],
}

# Ballast settings.
# A holding whose latest price is older than this many days before the
# pricing date is stale: shown as such, never valued at zero.
BALLAST_PRICE_STALE_DAYS = env.int("BALLAST_PRICE_STALE_DAYS", default=5)
# Issue 12, the nightly price feed (portfolios/pricing/feed.py), loaded before drift runs:
# "drop_directory" reads CSV files (symbol,date,close) dropped in BALLAST_PRICE_DROP_DIR;
# a dotted path names a FeedSource class instead (a vendor's API). "" turns the feed off.
BALLAST_PRICE_FEED = env.str("BALLAST_PRICE_FEED", default="drop_directory")
BALLAST_PRICE_DROP_DIR = env.str("BALLAST_PRICE_DROP_DIR", default=str(VAR_DIR / "price-drop"))
# The Price.source the drop directory's prices are stored under (shared by every firm).
BALLAST_PRICE_DROP_SOURCE = env.str("BALLAST_PRICE_DROP_SOURCE", default="feed")
# Number of trusted reverse proxies in front of the app; the client IP is
# taken from X-Forwarded-For only when this is above zero.
BALLAST_TRUSTED_PROXY_COUNT = env.int("BALLAST_TRUSTED_PROXY_COUNT", default=0)
# Drift runs fan out in chunks of this many households (all of a household's
# accounts stay in one chunk, so household drift is computed in one pass).
BALLAST_DRIFT_CHUNK_HOUSEHOLDS = env.int("BALLAST_DRIFT_CHUNK_HOUSEHOLDS", default=2000)
BALLAST_DRIFT_MAX_CHUNK_ATTEMPTS = env.int("BALLAST_DRIFT_MAX_CHUNK_ATTEMPTS", default=5)
# A run with no finished chunk for this long gets its unfinished chunks re-sent.
BALLAST_DRIFT_STALL_SECONDS = env.int("BALLAST_DRIFT_STALL_SECONDS", default=10 * 60)
# A batch proposal is shared by up to this many tasks (set it to the worker concurrency).
BALLAST_BATCH_PARTS = env.int("BALLAST_BATCH_PARTS", default=2)
# Model-change previews (portfolios.model_previews): households per chunk task.
BALLAST_PREVIEW_CHUNK_HOUSEHOLDS = env.int("BALLAST_PREVIEW_CHUNK_HOUSEHOLDS", default=2500)
BALLAST_PREVIEW_MAX_CHUNK_ATTEMPTS = env.int("BALLAST_PREVIEW_MAX_CHUNK_ATTEMPTS", default=5)
# Position files with more lines than this are checked and applied by a Celery task
# (with a progress bar) instead of inside the web request.
BALLAST_IMPORT_ASYNC_ROWS = env.int("BALLAST_IMPORT_ASYNC_ROWS", default=5000)
# The client portal's address as clients reach it: links in e-mails (a released report's
# notice) are built from it, never from a request's Host header.
BALLAST_PORTAL_BASE_URL = env.str("BALLAST_PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# The audit chain's HMAC keys live outside the database, so whoever can write the audit table
# cannot forge a chain: ``BALLAST_AUDIT_KEYS="id:secret,id:secret"`` (secrets of 32+
# characters; ids are short, stored with each event) and ``BALLAST_AUDIT_KEY_ID``, the id new
# events use. Rotation: add the new key, point the id at it, keep the old one for verifying.
BALLAST_AUDIT_KEYS = {
    key_id.strip(): secret
    for key_id, _, secret in (
        item.partition(":") for item in env.list("BALLAST_AUDIT_KEYS", default=[])
    )
}
BALLAST_AUDIT_KEY_ID = env.str("BALLAST_AUDIT_KEY_ID", default="")
if not BALLAST_AUDIT_KEYS:
    # Development only: one key derived from SECRET_KEY, id "dev". Production settings refuse
    # to start without explicit keys (and check --deploy flags the dev key, ballast.E010).
    BALLAST_AUDIT_KEYS = {"dev": "audit-chain-dev:" + SECRET_KEY}
    BALLAST_AUDIT_KEY_ID = BALLAST_AUDIT_KEY_ID or "dev"
# The append-only store of chain heads (anchors), apart from the database: a directory of
# write-once files by default. The store class is pluggable (see advisory/chain/anchors.py).
BALLAST_AUDIT_ANCHOR_STORE = env.str(
    "BALLAST_AUDIT_ANCHOR_STORE", default="advisory.chain.anchors.DirectoryAnchorStore"
)
BALLAST_AUDIT_ANCHOR_DIR = env.str(
    "BALLAST_AUDIT_ANCHOR_DIR", default=str(BASE_DIR / "var" / "anchors")
)
# Or an S3-compatible bucket with object lock (advisory.chain.s3_anchors.S3AnchorStore):
# objects locked in compliance mode for the retention below; credentials from boto3's chain.
BALLAST_AUDIT_ANCHOR_S3_BUCKET = env.str("BALLAST_AUDIT_ANCHOR_S3_BUCKET", default="")
BALLAST_AUDIT_ANCHOR_S3_PREFIX = env.str("BALLAST_AUDIT_ANCHOR_S3_PREFIX", default="anchors/")
BALLAST_AUDIT_ANCHOR_S3_ENDPOINT_URL = env.str("BALLAST_AUDIT_ANCHOR_S3_ENDPOINT_URL", default="")
BALLAST_AUDIT_ANCHOR_S3_REGION = env.str("BALLAST_AUDIT_ANCHOR_S3_REGION", default="")
BALLAST_AUDIT_ANCHOR_S3_RETENTION_DAYS = env.int(
    "BALLAST_AUDIT_ANCHOR_S3_RETENTION_DAYS", default=2557
)
# MFA secrets are encrypted with ``BALLAST_MFA_KEYS="newest,older"`` (secrets of 32+
# characters): the first encrypts, all decrypt; rotate with ``manage.py rotate_mfa_keys``.
BALLAST_MFA_KEYS = env.list("BALLAST_MFA_KEYS", default=[])
if not BALLAST_MFA_KEYS:
    # Development only: derived from SECRET_KEY; production settings refuse to start without.
    BALLAST_MFA_KEYS = ["mfa-secrets-dev:" + SECRET_KEY]
# Staff (admins, advisors, compliance) of a firm that requires MFA may work this many days
# after their first sign-in before they must enrol (a firm may set fewer or more, up to 30).
BALLAST_MFA_GRACE_DAYS = env.int("BALLAST_MFA_GRACE_DAYS", default=7)
# Step-up: approving, exporting order files or records, changing roles or firm settings and
# approving disclosures need a second factor entered within this many seconds.
BALLAST_STEPUP_SECONDS = env.int("BALLAST_STEPUP_SECONDS", default=5 * 60)
# Invitations to join a firm (advisory/people): the e-mailed link works once, for this many days.
BALLAST_INVITATION_DAYS = env.int("BALLAST_INVITATION_DAYS", default=7)
# Issue 13, signed webhooks (advisory/webhooks, docs/webhooks.md): the POST's timeout, the
# waits between attempts (seconds; the last repeats), the attempts before a delivery fails,
# and whether receivers may be private or loopback addresses (production: off).
CELERY_IMPORTS = ("advisory.webhooks.tasks",)  # not an app's tasks.py: autodiscovery misses it
BALLAST_WEBHOOKS_TIMEOUT_SECONDS = env.float("BALLAST_WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
_WEBHOOK_BACKOFF = ["60", "300", "1800", "7200", "21600"]  # 1 min, 5 min, 30 min, 2 h, 6 h
BALLAST_WEBHOOKS_BACKOFF_SECONDS = [
    int(s) for s in env.list("BALLAST_WEBHOOKS_BACKOFF_SECONDS", default=_WEBHOOK_BACKOFF)
]
BALLAST_WEBHOOKS_MAX_ATTEMPTS = env.int("BALLAST_WEBHOOKS_MAX_ATTEMPTS", default=6)
BALLAST_WEBHOOKS_ALLOW_PRIVATE = env.bool("BALLAST_WEBHOOKS_ALLOW_PRIVATE", default=True)
# Retention of books and records (advisory/retention): audit events and archived reports are
# kept at least this many years from the end of the fiscal year they were made in (never
# fewer than 5; the database triggers hold a 5-year floor of their own), and the fiscal
# year ends on this month-day ("MM-DD"; "02-29" means the last day of February).
BALLAST_RETENTION_YEARS = env.int("BALLAST_RETENTION_YEARS", default=5)
BALLAST_FISCAL_YEAR_END = env.str("BALLAST_FISCAL_YEAR_END", default="12-31")

# Issue 15, health and metrics (advisory/health, docs/operations-health.md). /readyz fails when
# no firm's drift run completed within this many hours (0: not checked).
BALLAST_READY_DRIFT_MAX_AGE_HOURS = env.float("BALLAST_READY_DRIFT_MAX_AGE_HOURS", default=36.0)
# /metrics: a scraper sends "Authorization: Bearer <token>" or comes from an allowed address
# or network; with neither set, only the loopback may read it.
BALLAST_METRICS_TOKEN = env.str("BALLAST_METRICS_TOKEN", default="")
BALLAST_METRICS_ALLOWED_IPS = env.list("BALLAST_METRICS_ALLOWED_IPS", default=[])
BALLAST_METRICS_QUEUES = env.list("BALLAST_METRICS_QUEUES", default=[])  # beyond the routed ones
BALLAST_METRICS_BROKER_TIMEOUT_S = env.float("BALLAST_METRICS_BROKER_TIMEOUT_S", default=2.0)
# A Celery worker host without a web process serves its metrics here (0: off).
BALLAST_WORKER_METRICS_PORT = env.int("BALLAST_WORKER_METRICS_PORT", default=0)
BALLAST_WORKER_METRICS_ADDR = env.str("BALLAST_WORKER_METRICS_ADDR", default="127.0.0.1")
# Log lines: "plain" text or "json" (one object per line, production's default); both carry
# the request id.
BALLAST_LOG_FORMAT = env.str("BALLAST_LOG_FORMAT", default="plain")
if BALLAST_LOG_FORMAT not in ("plain", "json"):
    raise ValueError(f"BALLAST_LOG_FORMAT must be plain or json, not {BALLAST_LOG_FORMAT!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "advisory.health.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} [{request_id}] {message}", "style": "{"},
        "json": {"()": "advisory.health.logs.json_formatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": BALLAST_LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO; keep its warnings only.
        "weasyprint.progress": {"level": "WARNING"},
        # fontTools (WeasyPrint's font subsetter) logs each subsetting step at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
