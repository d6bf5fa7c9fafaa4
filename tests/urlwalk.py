"""Enumerate every route in the URLconf, with its parameter names, and fill the parameters
with one firm's objects (the cross-tenant and client-portal walks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from advisory.audit import record
from advisory.models import (
    ApiToken,
    AuditVerification,
    Invitation,
    LegalHold,
    WebhookDelivery,
    WebhookEndpoint,
)
from advisory.tenancy import FirmOwned
from portfolios.models import (
    AssetClass,
    ColumnMapping,
    DriftRun,
    DriftSnapshot,
    Execution,
    ModelPreview,
    ModelPreviewHousehold,
    ModelVersion,
    PositionImport,
    Price,
    Proposal,
    ProposalBatch,
    ProposalBatchItem,
    ProposedTrade,
    Restriction,
    Security,
    TargetEquivalent,
)
from reports.models import (
    ArchivedReport,
    Disclosure,
    DisclosureVersion,
    RecordsExport,
    ReportBatch,
)


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str | None
    params: tuple[str, ...]
    regex_parts: tuple[object, ...]  # the pattern objects, outermost first


def _params(pattern: object) -> list[str]:
    return list(pattern.regex.groupindex)  # works for path() and re_path()


def walk(
    patterns: list | None = None,
    prefix: str = "",
    namespace: str | None = None,
    parts: tuple = (),
) -> Iterator[Route]:
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(
                entry.url_patterns, prefix + str(entry.pattern), full_ns, (*parts, entry.pattern)
            )
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            all_parts = (*parts, entry.pattern)
            params = tuple(p for part in all_parts for p in _params(part))
            yield Route(prefix + str(entry.pattern), name, params, all_parts)


def build_path(route: Route, kwargs: dict[str, str]) -> str:
    """Fill a route's parameters without reverse() (some routes have no name)."""
    import re

    path = ""
    for part in route.regex_parts:
        text = str(part)
        if hasattr(part, "converters") and part.converters:
            for param in part.converters:
                text = re.sub(rf"<(?:\w+:)?{param}>", str(kwargs[param]), text)
        elif getattr(part, "regex", None) is not None and part.regex.groupindex:
            for param in part.regex.groupindex:
                text = re.sub(rf"\(\?P<{param}>[^)]*\)[*+?]?", str(kwargs[param]), text)
        text = text.lstrip("^").rstrip("$")
        path += text
    return "/" + path


# Parameters that carry no firm data: any value will do.
NEUTRAL_PARAMS = {
    "app_label": "advisory",
    "key": "not-a-real-key",
    "token": "not-a-real-token",
    "uidb36": "zz",
    "url": "no-such-page/",
}


class NoFixture(AssertionError):
    pass


def admin_model_of(route: Route) -> str:
    """'admin/advisory/household/<path:object_id>/change/' → 'advisory.household'."""
    parts = route.pattern.split("/")
    return f"{parts[1]}.{parts[2]}"


def firm_objects(b) -> dict[str, object]:
    """One instance per firm-owned model of ``b``'s firm that a route can address (created
    here, names marked like the world's), plus shared reference rows."""
    label = b.firm.name.removesuffix(" Firm")  # "ZetaSecret" for firm B: a leak marker
    with scopes_disabled():
        event = record(firm=b.firm, action="household.viewed", object_repr=f"{label} event")
        equivalent = TargetEquivalent.objects.create(
            firm=b.firm, target=b.target, security=Security.objects.first()
        )
        run = DriftRun.objects.create(firm=b.firm, as_of=dt.date(2025, 12, 31))
        snapshot = DriftSnapshot.objects.create(  # issue 13: the API's drift snapshots
            firm=b.firm, kind="household", subject_id=b.household.pk, household=b.household,
            as_of=dt.date(2025, 12, 30), status="breached", market_value=0, cash_value=0,
            worst_bucket=f"{label} bucket", computed_at=dt.datetime(2025, 12, 30, tzinfo=dt.UTC),
        )  # fmt: skip
        manual_price = Price.objects.create(  # issue 13: a firm's own close (API prices)
            security=Security.objects.first(), date=dt.date(2025, 12, 30), close=1,
            source=f"manual:{b.firm.slug}",
        )  # fmt: skip
        proposal = Proposal.objects.create(
            firm=b.firm,
            household=b.household,
            mode="to_target",
            author=b.advisor.user,
            inputs_fingerprint="0" * 64,
            as_of=dt.date(2025, 12, 31),
        )
        batch = ProposalBatch.objects.create(
            firm=b.firm,
            requested_by=b.advisor.user,
            mode="to_target",
            as_of=dt.date(2025, 12, 31),
            drift_as_of=dt.date(2025, 12, 31),
            total=1,
        )
        ProposalBatchItem.objects.create(
            firm=b.firm, batch=batch, household=b.household, position=0
        )
        trade = ProposedTrade.objects.create(
            firm=b.firm,
            proposal=proposal,
            account=b.account,
            security=b.lot.security,
            side="sell",
            quantity=1,
            price=1,
            value=1,
        )
        disclosure = Disclosure.objects.create(
            firm=b.firm, key="not-advice", title=f"{label} disclaimer"
        )
        version = DisclosureVersion.objects.create(
            firm=b.firm,
            disclosure=disclosure,
            number=1,
            text=f"{label} wording",
            author=b.admin.user,
        )
        report = ArchivedReport.objects.create(
            firm=b.firm,
            household=b.household,
            report_type="household",
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2025, 12, 31),
            as_of=dt.date(2025, 12, 31),
            file=f"reports/{b.firm.pk}/{b.firm.slug}.pdf",
            sha256="0" * 64,
            size=0,
            data={},
            template_version="household-1",
            weasyprint_version="0",
            generated_by=b.advisor.user,
            generated_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC),
        )
        verification = AuditVerification.objects.create(firm=b.firm)
        position_import = PositionImport.objects.create(
            firm=b.firm,
            state="preview",
            file_name=f"{label}-positions.csv",
            preset="generic",
            created_by=b.admin.user,
        )
        hold = LegalHold.objects.create(
            firm=b.firm, household=b.household, reason=f"{label} hold", placed_by=b.admin.user
        )
        records_export = RecordsExport.objects.create(
            firm=b.firm,
            requested_by=b.compliance.user,
            date_from=dt.date(2025, 1, 1),
            date_to=dt.date(2025, 12, 31),
            state="done",
            file=f"exports/{b.firm.pk}/{b.firm.slug}.zip",
        )
        report_batch = ReportBatch.objects.create(
            firm=b.firm,
            requested_by=b.advisor.user,
            scope="book",
            period_start=dt.date(2025, 12, 1),
            period_end=dt.date(2025, 12, 31),
            total=0,
        )
        restriction = Restriction.objects.create(  # issue 12: restrictions
            firm=b.firm, security=b.lot.security, side="sell", reason=f"{label} restriction"
        )
        execution = Execution.objects.create(  # issue 12: executions
            firm=b.firm, proposal=proposal, source="manual", summary={"trades": []}
        )
        column_mapping = ColumnMapping.objects.create(  # issue 12: custodian files
            firm=b.firm, name=f"{label} mapping", custodian="other", columns={}, options={}
        )
        invitation = Invitation.objects.create(  # issue 12: firms and people
            firm=b.firm,
            email=f"invited@{b.firm.slug}.example",
            role="advisor",
            token_digest="f" * 64,
            invited_by=b.admin.user,
            expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
        )
        api_token = ApiToken.objects.create(  # issue 13: API tokens (a digest of nothing)
            firm=b.firm,
            user=b.advisor.user,
            name=f"{label} token",
            prefix=f"blt_{b.firm.slug}"[:12],
            digest=f"{b.firm.pk:064d}",
            scope="write",
            expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
        )
        endpoint = WebhookEndpoint.objects.create(  # issue 13: webhooks
            firm=b.firm,
            url=f"https://{b.firm.slug}.example/{label}-hook",
            events=["proposal.approved"],
            secret_encrypted="not-a-real-token",
            created_by=b.admin.user,
        )
        delivery = WebhookDelivery.objects.create(  # issue 13: webhooks (failed: retryable)
            firm=b.firm,
            endpoint=endpoint,
            event="proposal.approved",
            event_id="00000000-0000-4000-8000-000000000013",
            payload={"firm": b.firm.slug, "note": f"{label} delivery"},
            state="failed",
            attempts=6,
        )
        # Issue 14: a model-change preview with one household row.
        draft = ModelVersion.objects.create(
            firm=b.firm, model=b.model, number=99, state="draft", lines=[],
            summary=f"{label} draft",
        )  # fmt: skip
        preview = ModelPreview.objects.create(
            firm=b.firm, version=draft, model=b.model, mode="to_target",
            as_of=dt.date(2025, 12, 31), requested_by=b.advisor.user, state="complete",
            households=1, totals={"firm": {}, "advisors": []},
        )  # fmt: skip
        ModelPreviewHousehold.objects.create(
            firm=b.firm, preview=preview, household=b.household, outcome="no_trades",
            detail=f"{label} preview row",
        )  # fmt: skip
    return {
        "portfolios.modelpreview": preview,
        "advisory.apitoken": api_token,
        "advisory.webhookendpoint": endpoint,
        "advisory.webhookdelivery": delivery,
        "portfolios.columnmapping": column_mapping,
        "portfolios.execution": execution,
        "advisory.invitation": invitation,
        "portfolios.restriction": restriction,
        "advisory.household": b.household,
        "advisory.client": b.client_person,
        "advisory.account": b.account,
        "advisory.membership": b.advisor,
        "advisory.auditevent": event,
        "advisory.auditverification": verification,
        "advisory.legalhold": hold,
        "portfolios.modelportfolio": b.model,
        "portfolios.target": b.target,
        "portfolios.targetequivalent": equivalent,
        "portfolios.taxlot": b.lot,
        "portfolios.driftrun": run,
        "portfolios.proposal": proposal,
        "portfolios.proposedtrade": trade,
        "portfolios.proposalbatch": batch,
        "portfolios.positionimport": position_import,
        "reports.disclosure": disclosure,
        "reports.disclosureversion": version,
        "reports.archivedreport": report,
        "reports.reportbatch": report_batch,
        "reports.recordsexport": records_export,
        # Shared reference data belongs to no firm: any row.
        "portfolios.assetclass": AssetClass.objects.first(),
        "portfolios.security": Security.objects.first(),
        "portfolios.price": Price.objects.first(),
        "portfolios.driftsnapshot": snapshot,  # issue 13: API portfolio resources
        "portfolios.price.manual": manual_price,  # issue 13: only its firm sees it
    }


# A route parameter naming one firm-owned object → that object's label in firm_objects().
PARAM_OBJECTS = {
    "household_id": "advisory.household",
    "account_id": "advisory.account",
    "run_id": "portfolios.driftrun",
    "proposal_id": "portfolios.proposal",
    "batch_id": "portfolios.proposalbatch",
    "trade_id": "portfolios.proposedtrade",
    "disclosure_id": "reports.disclosure",
    "version_id": "reports.disclosureversion",
    "report_id": "reports.archivedreport",
    "verification_id": "advisory.auditverification",
    "export_id": "reports.recordsexport",
    "hold_id": "advisory.legalhold",
    "report_batch_id": "reports.reportbatch",
    "import_id": "portfolios.positionimport",
    "mapping_id": "portfolios.columnmapping",  # issue 12: custodian files
    "execution_id": "portfolios.execution",  # issue 12: executions
    "restriction_id": "portfolios.restriction",  # issue 12: restrictions
    "membership_id": "advisory.membership",  # issue 12: firms and people
    "invitation_id": "advisory.invitation",  # issue 12: firms and people
    "model_id": "portfolios.modelportfolio",  # issue 12: model pages
    "endpoint_id": "advisory.webhookendpoint",  # issue 13: webhooks
    "delivery_id": "advisory.webhookdelivery",  # issue 13: webhooks
    "token_id": "advisory.apitoken",  # issue 13: API tokens page
    "preview_id": "portfolios.modelpreview",  # issue 14: model-change previews
}
# Issue 13: an API detail route's ``pk`` → the object, by the route's name (router basename).
API_PK_OBJECTS = {
    "api-firm-detail": "firm",
    "api-household-detail": "advisory.household",
    "api-client-detail": "advisory.client",
    "api-account-detail": "advisory.account",
    "api-audit-event-detail": "advisory.auditevent",
    # Issue 13: the API's portfolio and report resources.
    "api-price-detail": "portfolios.price.manual",
    "api-position-detail": "portfolios.taxlot",
    "api-model-detail": "portfolios.modelportfolio",
    "api-model-publish": "portfolios.modelportfolio",
    "api-drift-snapshot-detail": "portfolios.driftsnapshot",
    "api-proposal-detail": "portfolios.proposal",
    "api-proposal-submit": "portfolios.proposal",
    "api-proposal-approve": "portfolios.proposal",
    "api-proposal-reject": "portfolios.proposal",
    "api-proposal-cancel": "portfolios.proposal",
    "api-proposal-refresh": "portfolios.proposal",
    "api-proposal-export": "portfolios.proposal",
    "api-proposal-executions": "portfolios.proposal",
    "api-restriction-detail": "portfolios.restriction",
    "api-restriction-lift": "portfolios.restriction",
    "api-report-detail": "reports.archivedreport",
    "api-report-download": "reports.archivedreport",
}
# Issue 13: an API route's ``pk`` naming shared reference data (no firm owns it: any row).
API_SHARED_PK_OBJECTS = {"api-security-detail": "portfolios.security"}


def kwargs_for(route: Route, b, objects: dict[str, object]) -> tuple[dict[str, str], bool]:
    """Values for a route's parameters from ``b``'s world and ``firm_objects(b)``, and whether
    they point at that firm's data."""
    kwargs: dict[str, str] = {}
    targets_b = False
    for param in route.params:
        if param in PARAM_OBJECTS:
            kwargs[param], targets_b = str(objects[PARAM_OBJECTS[param]].pk), True
        elif param == "pk" and route.name in API_PK_OBJECTS:
            label = API_PK_OBJECTS[route.name]
            obj = b.firm if label == "firm" else objects[label]
            kwargs[param], targets_b = str(obj.pk), True
        elif param == "pk" and route.name in API_SHARED_PK_OBJECTS:
            kwargs[param] = str(objects[API_SHARED_PK_OBJECTS[route.name]].pk)
        elif param == "object_type" and route.name == "compliance_timeline":
            kwargs[param] = "household"  # the kind of object; the id below is firm B's
        elif param == "object_id" and route.name == "compliance_timeline":
            kwargs[param], targets_b = str(b.household.pk), True
        elif param == "content_type_id":
            kwargs[param] = str(ContentType.objects.get_for_model(b.household).pk)
        elif param == "object_id" and route.name == "admin:view_on_site":
            kwargs[param], targets_b = str(b.household.pk), True
        elif param == "object_id" and route.pattern.startswith("admin/"):
            label = admin_model_of(route)
            if label not in objects or objects[label] is None:
                raise NoFixture(f"no fixture for admin model {label} ({route.pattern})")
            obj = objects[label]
            kwargs[param] = str(obj.pk)
            targets_b = isinstance(obj, FirmOwned)
        elif param == "firm_slug":
            # The invitation link is public (its token is the credential): firm B's slug with
            # a token that is not one must show a page naming no firm and change nothing.
            kwargs[param] = b.firm.slug
        elif param in NEUTRAL_PARAMS:
            kwargs[param] = NEUTRAL_PARAMS[param]
        else:
            raise NoFixture(f"route {route.pattern!r} has parameter {param!r} with no fixture")
    return kwargs, targets_b
