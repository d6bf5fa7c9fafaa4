"""Archived reports as the API lists them: the facts, never the rendered data snapshot."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.models import ArchivedReport


class ArchivedReportSerializer(serializers.ModelSerializer):
    released_at = serializers.SerializerMethodField()

    class Meta:
        model = ArchivedReport
        fields = [
            "id", "household", "report_type", "period_start", "period_end", "as_of", "sha256",
            "size", "generated_at", "supersedes", "released_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_released_at(self, report: ArchivedReport) -> dt.datetime | None:
        release = getattr(report, "release", None)
        return (
            None
            if release is None
            else serializers.DateTimeField().to_representation(release.released_at)
        )
