"""The audit trail as compliance reads it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..compliance import views as workspace


def audit_log(request: HttpRequest) -> HttpResponse:
    """Audit search: the compliance workspace's page (:mod:`advisory.compliance.views`)."""
    return workspace.search(request)
