"""/healthz (the process answers), /readyz (it can serve: its dependencies are there) and
/metrics (Prometheus). None needs a login and none shows firm data."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET
from health_check.base import HealthCheck
from health_check.views import HealthCheckView

from . import checks, metrics_access
from .metrics import render_metrics


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: no database, no broker, nothing that could make a busy server look dead."""
    response = JsonResponse({"status": "ok"})
    add_never_cache_headers(response)
    return response


@method_decorator(login_not_required, name="dispatch")
class ReadinessView(HealthCheckView):
    """Every readiness check, always as JSON: 200 when all pass, 503 naming the failed ones.

    django-health-check runs the checks concurrently (``get_result`` gives each a time
    limit); only the response is ours, so that a failure is a 503 with its causes spelled
    out and a pass says what each check found.
    """

    http_method_names = ["get", "head"]

    def get_checks(self) -> Iterator[HealthCheck]:
        yield from checks.readiness_checks()

    async def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        report = {
            result.check.name: {
                "ok": result.error is None,
                "detail": str(result.error) if result.error else checks.describe(result.check),
            }
            for result in results
        }
        failed = [name for name, entry in report.items() if not entry["ok"]]
        body = {"status": "unavailable" if failed else "ok", "failed": failed, "checks": report}
        return JsonResponse(body, status=503 if failed else 200)


readyz = ReadinessView.as_view()


@login_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format, for a scraper holding the token or on an allowed address."""
    if not metrics_access.allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    body, content_type = render_metrics()
    response = HttpResponse(body, content_type=content_type)
    add_never_cache_headers(response)
    return response
