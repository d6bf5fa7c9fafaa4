from django.contrib import admin
from django.urls import include, path

from advisory.views import account_security

urlpatterns = [
    path("", include("advisory.health.urls")),  # issue 15: /healthz, /readyz, /metrics
    path("admin/", admin.site.urls),
    # Before allauth's own: an e-mail change takes effect only once verified; the sessions
    # page ends one session at a time, audited.
    path("auth/email/", account_security.email_change, name="account_email"),
    path("auth/sessions/", account_security.sessions, name="account_sessions"),
    path("auth/", include("allauth.urls")),
    path("", include("advisory.urls")),
    path("", include("portfolios.urls")),
    path("", include("reports.urls")),
    path("api/v1/", include("config.api_urls")),  # issue 13: the REST API
    path("", include("config.api_docs_urls")),  # issue 13: /api/schema/ and /api/docs/
]
