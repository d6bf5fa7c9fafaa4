"""Archived reports: list (filter by household and period) and download the PDF, for every
staff role that can see the household, with the same ``report.downloaded`` event as the page
(reports/views/reports.py). Another firm's report, or a hidden household's, is a 404."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from advisory import audit_actions as actions
from advisory.access import households_for
from advisory.api.base import FirmViewSet
from advisory.api.pagination import CursorPage
from advisory.audit import record
from reports.api.serializers import ArchivedReportSerializer
from reports.models import ArchivedReport
from reports.periods import parse_month
from reports.queries import download_name

ID_PATTERN = r"[0-9]{1,18}"  # no id overflows a bigint: a 404, never a 500


def _filter(request: Request, name: str, pattern: str, message: str) -> str | None:
    """A query parameter that must match ``pattern`` (a 400 naming it otherwise)."""
    raw = (request.query_params.get(name) or "").strip()
    if not raw:
        return None
    if not re.fullmatch(pattern, raw):
        raise ValidationError({name: [message]})
    return raw


EXAMPLE = {
    "id": 12, "household": 4, "report_type": "quarterly", "period_start": "2026-09-01",
    "period_end": "2026-09-30", "as_of": "2026-09-30", "sha256": "5e8f…", "size": 48213,
    "generated_at": "2026-10-02T08:00:00Z", "supersedes": None,
    "released_at": "2026-10-03T10:00:00Z",
}  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="List archived reports",
        description="Reports of the households you may see, newest first.",
        parameters=[
            OpenApiParameter("household", int, description="Only this household's reports."),
            OpenApiParameter(
                "period", str, description="A month, YYYY-MM: reports whose period ends in it."
            ),
            OpenApiParameter(
                "released", str, enum=["true", "false"], description="Only released (or not) ones."
            ),
        ],
        examples=[OpenApiExample("A report", value=EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get an archived report's facts",
        examples=[OpenApiExample("A report", value=EXAMPLE, response_only=True)],
    ),
)
class ArchivedReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, FirmViewSet):
    serializer_class = ArchivedReportSerializer
    pagination_class = CursorPage
    lookup_value_regex = ID_PATTERN
    filter_backends = [OrderingFilter]
    ordering_fields = ["period_end", "generated_at", "id"]
    ordering = ("-id",)

    def get_queryset(self) -> QuerySet[ArchivedReport]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return ArchivedReport.objects.none()
        qs = (
            ArchivedReport.objects.filter(household__in=households_for(self.request.membership))
            .select_related("release")
            .defer("data")
        )
        if self.action != "list":
            return qs
        household = _filter(self.request, "household", ID_PATTERN, "household must be an id.")
        if household is not None:
            qs = qs.filter(household_id=int(household))
        period = _filter(self.request, "period", r"[0-9]{4}-[0-9]{2}", "period must be YYYY-MM.")
        if period is not None:
            month = parse_month(period)
            if month is None:
                raise ValidationError({"period": ["period must be a month, YYYY-MM."]})
            qs = qs.filter(period_end__range=month)
        released = _filter(self.request, "released", "true|false", "released is true or false.")
        if released is not None:
            qs = qs.filter(release__isnull=released == "false")
        return qs

    @extend_schema(
        summary="Download the report's PDF",
        description="The archived PDF, byte for byte; audited as `report.downloaded`.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF.")
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> Any:
        report = self.get_object()
        name = report.file.name
        if not name or not default_storage.exists(name):
            raise Http404("The report's file is missing.")
        handle = default_storage.open(name, "rb")
        record(firm=request.firm, action=actions.REPORT_DOWNLOADED.code, obj=report)
        response = FileResponse(
            handle, as_attachment=True, filename=download_name(report),
            content_type="application/pdf",
        )  # fmt: skip
        response["Cache-Control"] = "no-store"
        return response
