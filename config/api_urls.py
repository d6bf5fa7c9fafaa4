"""``/api/v1/``: each app's API routes, under one prefix.

``portfolios.api.urls`` and ``reports.api.urls`` are included when they exist, so the API
works while an app has no routes yet. Anything else under the prefix is a JSON 404.
"""

from importlib.util import find_spec

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path

API_URLCONFS = (
    "advisory.api.urls",
    "advisory.compliance.api_urls",  # audit-events: with the workspace whose filters it uses
    "portfolios.api.urls",
    "reports.api.urls",
)


def _exists(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:
        return False


urlpatterns = [path("", include(module)) for module in API_URLCONFS if _exists(module)]


def not_found(request: HttpRequest) -> JsonResponse:
    """Any other path under /api/v1/: a JSON 404 like every API error, not the HTML page."""
    return JsonResponse({"detail": "No such API route.", "errors": {}}, status=404)


urlpatterns.append(re_path(r"^.*$", not_found))
