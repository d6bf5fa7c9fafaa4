"""What a household legal hold keeps of this app's records: events about its reports."""

from __future__ import annotations

from collections.abc import Iterable

from advisory.retention.holds import HeldObjects

from ..models import ArchivedReport


def held_reports(household_ids: frozenset[int]) -> Iterable[HeldObjects]:
    """Every archived report of a held household: generated, released, sent, downloaded."""
    ids = ArchivedReport.objects.filter(household_id__in=household_ids).values_list("pk", flat=True)
    yield ("reports.archivedreport",), ids
