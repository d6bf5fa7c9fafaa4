"""The OpenAPI schema (/api/schema/) and its documentation page (/api/docs/).

The page is Swagger UI from drf-spectacular-sidecar's vendored assets, served as our own static
files (no CDN), started by static/js/api-docs.js: the Content-Security-Policy allows no inline
script or style, so the template has neither (drf-spectacular's own template has both).
"""

from django.urls import path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView

import config.api_schema  # noqa: F401  (registers the authentication schemes)

urlpatterns = [
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path(
        "api/docs/",
        TemplateView.as_view(template_name="api_docs/swagger.html"),
        name="api_docs",
    ),
]
