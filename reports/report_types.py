"""Report types and the disclosures each one requires.

A report may be generated only when every disclosure its type requires has an approved
version; :func:`required_versions` returns those versions (the ones the report carries and
the archive records) or raises :class:`DisclosureMissing` naming each one that has none.
Queries run in the active firm scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Disclosure, DisclosureVersion


@dataclass(frozen=True)
class ReportType:
    key: str
    label: str
    required: tuple[str, ...]  # disclosure keys, in the order the report prints them


HOUSEHOLD_REPORT = ReportType(
    key="household",
    label="Household report",
    required=("not-advice", "methodology", "asset-class-risks", "past-performance"),
)

REPORT_TYPES: dict[str, ReportType] = {HOUSEHOLD_REPORT.key: HOUSEHOLD_REPORT}


class DisclosureMissing(Exception):
    """A report type needs an approved version of disclosures that have none."""

    def __init__(self, report_type: ReportType, missing: list[str]) -> None:
        self.report_type = report_type
        self.missing = missing
        article = "An" if report_type.label[:1].lower() in "aeiou" else "A"
        super().__init__(
            f"{article} {report_type.label[:1].lower()}{report_type.label[1:]} needs an "
            f"approved version of: {', '.join(missing)}."
        )


def _approved_by_key(
    report_type: ReportType,
) -> tuple[dict[str, Disclosure], dict[str, DisclosureVersion]]:
    disclosures = {d.key: d for d in Disclosure.objects.filter(key__in=report_type.required)}
    approved: dict[str, DisclosureVersion] = {}
    versions = (
        DisclosureVersion.objects.filter(
            disclosure__key__in=report_type.required, approved_at__isnull=False
        )
        .select_related("disclosure")
        .order_by("number")
    )
    for version in versions:  # ascending: the highest-numbered approved one wins
        approved[version.disclosure.key] = version
    return disclosures, approved


def missing_disclosures(report_type: ReportType) -> list[str]:
    """Required disclosures with no approved version: titles, or keys of those not created."""
    disclosures, approved = _approved_by_key(report_type)
    return [
        disclosures[key].title if key in disclosures else key
        for key in report_type.required
        if key not in approved
    ]


def required_versions(report_type: ReportType) -> list[DisclosureVersion]:
    """The current approved version of each required disclosure, in the type's order."""
    disclosures, approved = _approved_by_key(report_type)
    missing = [
        disclosures[key].title if key in disclosures else key
        for key in report_type.required
        if key not in approved
    ]
    if missing:
        raise DisclosureMissing(report_type, missing)
    return [approved[key] for key in report_type.required]
