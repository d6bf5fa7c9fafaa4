"""The top bar's groups: which menu (``firm``, ``compliance``) a page belongs to, so the
closed menu can still say "you are in here" (templates/partials/mainnav.html)."""

from __future__ import annotations

from django import template

register = template.Library()

# Url names, or prefixes of them (ending in "_"), per group of the admin's top bar. The
# firm group's prefixes cover the pages issue 12 adds (people, models, restrictions,
# custodian mappings) whatever their exact names.
GROUPS: dict[str, tuple[str, ...]] = {
    "firm": (
        "imports",
        "imports_",
        "position_import",
        "position_import_",
        "firm_settings",
        "firm_",
        "people",
        "people_",
        "invitation_",
        "membership_",
        "models",
        "model_",
        "restrictions",
        "restriction_",
        "column_mapping",
        "column_mapping_",
        "column_mappings",
        "custodian_",
        "mappings",
        "mapping_",
        "webhooks",
        "webhook_",
    ),
    "compliance": (
        "compliance_",
        "compliance_home",
        "audit_log",
        "audit_",
        "drift_runs",
        "drift_run_",
        "disclosures",
        "disclosure_",
        "holds",
        "legal_hold_",
    ),
}


@register.filter
def nav_group(url_name: str | None) -> str:
    """The group of the page named ``url_name``: "firm", "compliance" or ""."""
    name = url_name or ""
    for group, names in GROUPS.items():
        for n in names:
            if name == n or (n.endswith("_") and name.startswith(n)):
                return group
    return ""
