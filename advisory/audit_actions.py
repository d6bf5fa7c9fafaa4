"""Every audit action code, in one place, with a human label and a category.

:func:`advisory.audit.record` refuses a code that is not registered here, so a
new kind of event starts with one line in this module. Codes are stored in
``AuditEvent.action`` and covered by the hash chain: never change the string
of a code that may already be stored. To retire one, keep it registered (with
its label) so the events that carry it still read well.

``record_change`` (admin saves and ``services.save_audited``) writes
``<model_name>.<verb>``; every model edited that way has its codes below, and
:func:`model_change` fails loudly for one that has not.

This module imports nothing of the project: any app may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Category = Literal["read", "write", "approval", "auth", "export", "admin"]

READ: Final = "read"
WRITE: Final = "write"
APPROVAL: Final = "approval"
AUTH: Final = "auth"
EXPORT: Final = "export"
ADMIN: Final = "admin"

# In display order, with the heading used in filters.
CATEGORIES: Final[dict[str, str]] = {
    READ: "Sensitive reads",
    WRITE: "Changes",
    APPROVAL: "Approvals",
    AUTH: "Sign-ins",
    EXPORT: "Exports",
    ADMIN: "Administration",
}

CHANGE_VERBS: Final = ("created", "updated", "deleted")
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
_MAX_CODE_LENGTH = 80  # AuditEvent.action


class UnknownAction(ValueError):
    """An action code that is not in the registry."""

    def __init__(self, code: object) -> None:
        super().__init__(
            f"Unknown audit action {code!r}: register it in advisory/audit_actions.py first."
        )
        self.code = code


@dataclass(frozen=True)
class ActionType:
    code: str
    label: str
    category: Category

    def __str__(self) -> str:
        return self.code


REGISTRY: dict[str, ActionType] = {}


def _register(code: str, label: str, category: Category) -> ActionType:
    if not _CODE_RE.match(code) or len(code) > _MAX_CODE_LENGTH:
        raise ValueError(f"Malformed audit action code {code!r}.")
    if category not in CATEGORIES:
        raise ValueError(f"Audit action {code!r} has an unknown category {category!r}.")
    if not label.strip():
        raise ValueError(f"Audit action {code!r} needs a label.")
    if code in REGISTRY:
        raise ValueError(f"Audit action {code!r} is registered twice.")
    action = ActionType(code, label, category)
    REGISTRY[code] = action
    return action


def _register_changes(
    model_name: str, noun: str, category: Category = WRITE
) -> tuple[ActionType, ActionType, ActionType]:
    """``<model_name>.created/updated/deleted``, as written by ``record_change``."""
    created, updated, deleted = (
        _register(f"{model_name}.{verb}", f"{verb.capitalize()} {noun}", category)
        for verb in CHANGE_VERBS
    )
    return created, updated, deleted


# --- Sensitive reads --------------------------------------------------------------------------

HOUSEHOLD_VIEWED = _register("household.viewed", "Viewed a household", READ)
ACCOUNT_VIEWED = _register("account.viewed", "Viewed an account", READ)

# --- Sensitive reads: pages and lists of client data, compliance exports (workspace) ----------

PROPOSAL_VIEWED = _register("proposal.viewed", "Viewed a rebalance proposal", READ)
HOUSEHOLDS_LISTED = _register(
    "households.listed", "Listed households (their ids are in the event)", READ
)
PROPOSALS_LISTED = _register(
    "proposals.listed", "Listed proposals (their ids are in the event)", READ
)
AUDIT_EXPORTED = _register("audit.exported", "Exported audit events (filters in the event)", EXPORT)
ADMIN_VIEWED = _register("admin.viewed", "Opened a record in the admin", READ)
ADMIN_LISTED = _register("admin.listed", "Listed records in the admin (ids in the event)", READ)

# --- Sign-ins ---------------------------------------------------------------------------------

LOGIN = _register("auth.login", "Signed in", AUTH)
LOGOUT = _register("auth.logout", "Signed out", AUTH)
LOGIN_FAILED = _register("auth.login_failed", "Failed sign-in (wrong password or code)", AUTH)
# Account security (advisory/lockout, advisory/account_events.py); docs/security.md.
LOCKED_OUT = _register(
    "auth.locked_out", "Sign-in locked after repeated failures (until in the event)", AUTH
)
LOCKOUT_ENDED = _register(
    "auth.lockout_ended", "Sign-in lock lifted early (password reset or unlock)", AUTH
)
PASSWORD_CHANGED = _register("auth.password_changed", "Changed their password", AUTH)
PASSWORD_RESET = _register("auth.password_reset", "Reset their password by e-mail link", AUTH)
EMAIL_CHANGE_REQUESTED = _register(
    "auth.email_change_requested", "Asked to change their e-mail (not yet verified)", AUTH
)
EMAIL_CHANGED = _register("auth.email_changed", "Changed their e-mail (new address verified)", AUTH)
MFA_ADDED = _register("auth.mfa_added", "Added a second factor", AUTH)
MFA_REMOVED = _register("auth.mfa_removed", "Removed a second factor", AUTH)
MFA_RESET = _register("auth.mfa_reset", "Regenerated a second factor (recovery codes)", AUTH)
SESSION_ENDED = _register("auth.session_ended", "Ended one of their sessions", AUTH)

# --- Firm data edited through the admin or a form (record_change) -----------------------------

HOUSEHOLD_CREATED, HOUSEHOLD_UPDATED, HOUSEHOLD_DELETED = _register_changes(
    "household", "a household"
)
HOUSEHOLD_TEAM_CREATED, HOUSEHOLD_TEAM_UPDATED, HOUSEHOLD_TEAM_DELETED = _register_changes(
    "householdteammember", "a household's team advisor"
)
CLIENT_CREATED, CLIENT_UPDATED, CLIENT_DELETED = _register_changes("client", "a client")
ACCOUNT_CREATED, ACCOUNT_UPDATED, ACCOUNT_DELETED = _register_changes("account", "an account")
OWNER_CREATED, OWNER_UPDATED, OWNER_DELETED = _register_changes(
    "accountowner", "an account's owner"
)
MODEL_CREATED, MODEL_UPDATED, MODEL_DELETED = _register_changes(
    "modelportfolio", "a model portfolio"
)
TARGET_CREATED, TARGET_UPDATED, TARGET_DELETED = _register_changes(
    "target", "a model portfolio target"
)
EQUIVALENT_CREATED, EQUIVALENT_UPDATED, EQUIVALENT_DELETED = _register_changes(
    "targetequivalent", "a target's equivalent security"
)
TAXLOT_CREATED, TAXLOT_UPDATED, TAXLOT_DELETED = _register_changes("taxlot", "a tax lot")
# Memberships are only changed (role, active) in the admin; people join by invitation.
MEMBERSHIP_UPDATED = _register("membership.updated", "Changed a membership (role or access)", ADMIN)
FIRM_UPDATED = _register("firm.updated", "Changed the firm's settings", ADMIN)

# --- Imports and prices -----------------------------------------------------------------------

# Two codes that look alike and mean different things (both kept: they are stored):
# ``positions.import`` sums up a whole position file, ``positions.imported`` is one
# account whose lots that file replaced.
POSITIONS_IMPORT = _register(
    "positions.import", "Imported a position file (summary of the whole file)", WRITE
)
POSITIONS_IMPORT_REJECTED = _register(
    "positions.import_rejected", "Rejected a position file (nothing written)", WRITE
)
POSITIONS_IMPORTED = _register(
    "positions.imported", "Replaced one account's lots from a position file", WRITE
)
POSITIONS_IMPORT_STAGED = _register(
    "positions.import_staged", "Uploaded a position file for preview (nothing applied yet)", WRITE
)
POSITIONS_IMPORT_CHECKED = _register(
    "positions.import_checked", "Checked a large position file (ready to preview)", WRITE
)
POSITIONS_IMPORT_CANCELLED = _register(
    "positions.import_cancelled", "Cancelled a previewed position file (nothing applied)", WRITE
)
POSITIONS_RESTORE = _register(
    "positions.restore", "Undid a position file (summary: previous holdings restored)", WRITE
)
POSITIONS_RESTORED = _register(
    "positions.restored", "Restored one account's lots from before a position file", WRITE
)
PRICE_ENTERED = _register("price.entered", "Entered a manual price", WRITE)
PRICE_CORRECTED = _register("price.corrected", "Corrected a manual price", WRITE)
PRICES_IMPORTED = _register("prices.imported", "Imported a shared price file", WRITE)
PRICES_IMPORT_REJECTED = _register(
    "prices.import_rejected", "Rejected a shared price file (nothing written)", WRITE
)
PRICING_CHECKED = _register("pricing.checked", "Checked price coverage of holdings", ADMIN)

# --- Drift runs -------------------------------------------------------------------------------

DRIFT_RUN_STARTED = _register("drift_run.started", "Started a drift run", WRITE)
DRIFT_RUN_COMPLETED = _register("drift_run.completed", "Completed a drift run", WRITE)
DRIFT_RUN_FAILED = _register("drift_run.failed", "Drift run failed", WRITE)

# --- Proposals --------------------------------------------------------------------------------

PROPOSAL_CREATED = _register("proposal.created", "Created a rebalance proposal", WRITE)
PROPOSAL_REFRESHED = _register("proposal.refreshed", "Rebuilt a proposal from current data", WRITE)
PROPOSAL_TRADE_ADDED = _register("proposal.trade_added", "Added a trade to a proposal", WRITE)
PROPOSAL_TRADE_EDITED = _register("proposal.trade_edited", "Edited a proposal's trade", WRITE)
PROPOSAL_TRADE_REMOVED = _register(
    "proposal.trade_removed", "Removed a trade from a proposal", WRITE
)
PROPOSAL_CANCELLED = _register("proposal.cancelled", "Cancelled a proposal", WRITE)
PROPOSAL_EXECUTED = _register("proposal.executed", "Marked a proposal executed", WRITE)
PROPOSAL_SUBMITTED = _register("proposal.submitted", "Submitted a proposal for approval", APPROVAL)
PROPOSAL_APPROVED = _register("proposal.approved", "Approved a proposal", APPROVAL)
PROPOSAL_REJECTED = _register("proposal.rejected", "Rejected a proposal", APPROVAL)
PROPOSAL_REFUSED = _register(
    "proposal.refused", "Refused a proposal change (four eyes or stale data)", APPROVAL
)
PROPOSAL_EXPORTED = _register("proposal.exported", "Exported a proposal's order file", EXPORT)

PROPOSAL_BATCH_STARTED = _register("proposal_batch.started", "Started a batch of proposals", WRITE)
PROPOSAL_BATCH_COMPLETED = _register(
    "proposal_batch.completed", "Completed a batch of proposals", WRITE
)
PROPOSAL_BATCH_FAILED = _register("proposal_batch.failed", "Batch of proposals failed", WRITE)

# --- Disclosures (reports) --------------------------------------------------------------------

DISCLOSURE_CREATED = _register("disclosure.created", "Created a disclosure", WRITE)
DISCLOSURE_VERSION_PROPOSED = _register(
    "disclosure.version_proposed", "Proposed a new version of a disclosure", WRITE
)
DISCLOSURE_VERSION_APPROVED = _register(
    "disclosure.version_approved", "Approved a disclosure version", APPROVAL
)
DISCLOSURE_REFUSED = _register(
    "disclosure.refused", "Refused a disclosure approval (not compliance, or its author)", APPROVAL
)

# --- Report archive (reports) ----------------------------------------------------------------

REPORT_GENERATED = _register("report.generated", "Generated a client report", WRITE)
REPORT_RELEASED = _register("report.released", "Released a report to the client", APPROVAL)
REPORT_DOWNLOADED = _register("report.downloaded", "Downloaded a report", READ)
REPORT_CLIENT_NOTIFIED = _register(
    "report.client_notified", "E-mailed a client that a report is in their portal", WRITE
)
REPORT_BATCH_STARTED = _register("report_batch.started", "Started a batch of reports", WRITE)
REPORT_BATCH_COMPLETED = _register("report_batch.completed", "Batch of reports completed", WRITE)
REPORT_BATCH_FAILED = _register("report_batch.failed", "Batch of reports failed", WRITE)
REPORT_BATCH_RESUMED = _register(
    "report_batch.resumed", "Re-sent the unfinished reports of a stalled batch", WRITE
)

RECORDS_EXPORT_STARTED = _register(
    "records.export_started", "Asked for an examination export of the firm's records", EXPORT
)
RECORDS_EXPORTED = _register(
    "records.exported", "Exported the firm's records for an examination", EXPORT
)
RECORDS_EXPORT_FAILED = _register(
    "records.export_failed", "An examination export of the firm's records failed", EXPORT
)
RECORDS_DOWNLOADED = _register("records.downloaded", "Downloaded an examination export", EXPORT)

# --- Client portal (advisory.portal) ------------------------------------------------------------

PORTAL_VIEWED = _register("portal.viewed", "Client viewed their portal overview", READ)
PORTAL_ACCOUNT_VIEWED = _register("portal.account_viewed", "Client viewed an account", READ)
PORTAL_DOCUMENTS_VIEWED = _register(
    "portal.documents_viewed", "Client viewed their documents list", READ
)

# --- Audit chain integrity (advisory.chain) ---------------------------------------------------

AUDIT_ANCHORED = _register(
    "audit.anchored", "Anchored the audit chain head outside the database", ADMIN
)
AUDIT_VERIFICATION_STARTED = _register(
    "audit.verification_started", "Started an audit chain verification", ADMIN
)
AUDIT_VERIFIED = _register("audit.verified", "Audit chain verified", ADMIN)
AUDIT_VERIFICATION_FAILED = _register(
    "audit.verification_failed", "Audit chain verification failed", ADMIN
)

# --- Retention: legal holds and disposal (advisory.retention) ---------------------------------

LEGAL_HOLD_PLACED = _register(
    "legal_hold.placed", "Placed a legal hold (its records are kept from disposal)", ADMIN
)
LEGAL_HOLD_RELEASED = _register("legal_hold.released", "Released a legal hold", ADMIN)
RECORDS_DISPOSED = _register(
    "records.disposed", "Disposed of records past retention (audit events, reports)", ADMIN
)

# --- Demo -------------------------------------------------------------------------------------

DEMO_SEEDED = _register("demo.seeded", "Seeded demo data", ADMIN)

# --- Issue 12, the advisor's daily surfaces: open proposals ------------------------------------

PROPOSAL_OPEN_OVERRIDDEN = _register(
    "proposal.open_overridden",
    "Proposed although the household had open proposals (their ids are in the event)",
    WRITE,
)

# --- Issue 12, executions close the loop (portfolios.executions) -------------------------------

EXECUTION_RECORDED = _register(
    "execution.recorded",
    "Recorded a proposal's execution (fills applied to lots and cash)",
    WRITE,
)

# --- Issue 12, firms and people (advisory.people) ----------------------------------------------

FIRM_CREATED = _register("firm.created", "Created the firm (platform operator)", ADMIN)
INVITATION_CREATED = _register("invitation.created", "Invited a person to join the firm", ADMIN)
INVITATION_RESENT = _register(
    "invitation.resent", "Re-sent an invitation (a new link; the old one no longer works)", ADMIN
)
INVITATION_REVOKED = _register("invitation.revoked", "Revoked an invitation", ADMIN)
INVITATION_ACCEPTED = _register(
    "invitation.accepted", "Accepted an invitation and joined the firm", ADMIN
)
MEMBERSHIP_ROLE_CHANGED = _register("membership.role_changed", "Changed a member's role", ADMIN)
MEMBERSHIP_DEACTIVATED = _register(
    "membership.deactivated", "Deactivated a member (no access; sessions ended)", ADMIN
)
MEMBERSHIP_REACTIVATED = _register("membership.reactivated", "Reactivated a member", ADMIN)

# --- Issue 12, model versions (portfolios.model_versions); creating one is modelportfolio.created

MODEL_VERSION_PUBLISHED = _register(
    "model_version.published", "Made a new model version live (lines before and after)", WRITE
)
MODEL_VERSION_DRAFTED = _register(
    "model_version.drafted", "Saved a draft model version (not live)", WRITE
)
MODEL_VERSION_DISCARDED = _register(
    "model_version.discarded", "Discarded a draft model version", WRITE
)
# --- Issue 14, model-change previews (portfolios.model_previews)

MODEL_PREVIEW_STARTED = _register(
    "model_preview.started", "Started a firm-wide preview of a draft model version", WRITE
)
MODEL_PREVIEW_COMPLETED = _register(
    "model_preview.completed", "Completed a model-change preview (firm totals)", WRITE
)
MODEL_PREVIEW_FAILED = _register("model_preview.failed", "Model-change preview failed", WRITE)
MODEL_PREVIEW_COMMITTED = _register(
    "model_preview.committed", "Made a previewed draft model version live", WRITE
)
MODEL_PREVIEW_EXPORTED = _register(
    "model_preview.exported", "Exported a model-change preview as CSV", EXPORT
)
MODEL_RETIRED = _register("modelportfolio.retired", "Retired a model portfolio", WRITE)
MODEL_UNRETIRED = _register(
    "modelportfolio.unretired", "Returned a retired model portfolio to use", WRITE
)

# --- Issue 12, restrictions (portfolios.restrictions) ------------------------------------------

RESTRICTION_ADDED = _register(
    "restriction.added", "Added a do-not-buy or do-not-sell restriction", WRITE
)
RESTRICTION_LIFTED = _register("restriction.lifted", "Lifted a restriction (with a reason)", WRITE)

# --- Issue 12, custodian files: saved column mappings, owners in imports (portfolios.imports) ---

COLUMN_MAPPING_SAVED = _register(
    "column_mapping.saved", "Saved a custodian file column mapping (a new version)", WRITE
)
POSITIONS_OWNERS_SET = _register(
    "positions.owners_set", "Set an account's owners from a position file", WRITE
)

# --- Issue 13, the REST API's core (advisory.api): tokens, and reads the pages have no list of --

API_TOKEN_CREATED = _register("api_token.created", "Created an API token", AUTH)
API_TOKEN_REVOKED = _register("api_token.revoked", "Revoked an API token", AUTH)
ACCOUNTS_LISTED = _register(
    "accounts.listed", "Listed accounts through the API (their ids are in the event)", READ
)
CLIENTS_LISTED = _register(
    "clients.listed", "Listed clients through the API (their ids are in the event)", READ
)
CLIENT_VIEWED = _register("client.viewed", "Viewed a client through the API", READ)

# --- Issue 13, signed webhooks (advisory.webhooks) --------------------------------------------

WEBHOOK_ENDPOINT_CREATED = _register(
    "webhook_endpoint.created", "Registered a webhook endpoint", ADMIN
)
WEBHOOK_ENDPOINT_DEACTIVATED = _register(
    "webhook_endpoint.deactivated", "Deactivated a webhook endpoint", ADMIN
)
WEBHOOK_ENDPOINT_REACTIVATED = _register(
    "webhook_endpoint.reactivated", "Reactivated a webhook endpoint", ADMIN
)
WEBHOOK_SECRET_ROTATED = _register(
    "webhook_endpoint.secret_rotated", "Rotated a webhook endpoint's signing secret", ADMIN
)
WEBHOOK_TEST_SENT = _register(
    "webhook_endpoint.test_sent", "Sent a test event to a webhook endpoint", ADMIN
)
WEBHOOK_DELIVERY_RETRIED = _register(
    "webhook_delivery.retried", "Retried a failed webhook delivery", ADMIN
)

# --- Named groups -----------------------------------------------------------------------------

# What the Imports page lists as "Recent imports".
IMPORT_EVENTS: Final = (
    POSITIONS_IMPORT,
    POSITIONS_IMPORT_REJECTED,
    POSITIONS_IMPORT_STAGED,
    POSITIONS_IMPORT_CANCELLED,
    POSITIONS_RESTORE,
    PRICE_ENTERED,
    PRICE_CORRECTED,
    PRICES_IMPORTED,
    PRICES_IMPORT_REJECTED,
)


# --- Lookups ----------------------------------------------------------------------------------


def get(code: str) -> ActionType:
    """The registered action for ``code``; :class:`UnknownAction` if there is none."""
    try:
        return REGISTRY[code]
    except (KeyError, TypeError):
        raise UnknownAction(code) from None


def resolve(action: ActionType | str) -> ActionType:
    """An :class:`ActionType` or a code string → the registered action (or UnknownAction)."""
    registered = get(action.code if isinstance(action, ActionType) else action)
    if isinstance(action, ActionType) and action != registered:
        raise UnknownAction(action.code)
    return registered


def model_change(model_name: str, verb: str) -> ActionType:
    """The ``<model_name>.<verb>`` action written by ``record_change``."""
    if verb not in CHANGE_VERBS:
        raise ValueError(f"Change verb must be one of {', '.join(CHANGE_VERBS)}, not {verb!r}.")
    return get(f"{model_name}.{verb}")


def codes(actions: tuple[ActionType, ...] | list[ActionType]) -> tuple[str, ...]:
    return tuple(a.code for a in actions)


def by_category() -> dict[str, list[ActionType]]:
    """Registered actions grouped by category (in :data:`CATEGORIES` order), by code within."""
    grouped: dict[str, list[ActionType]] = {c: [] for c in CATEGORIES}
    for action in sorted(REGISTRY.values(), key=lambda a: a.code):
        grouped[action.category].append(action)
    return grouped


def label_of(code: str) -> str:
    """The label of a code; for a code no longer (or never) registered, a readable fallback.

    Stored events keep whatever code they were written with, so this never raises.
    """
    action = REGISTRY.get(code)
    if action is not None:
        return action.label
    words = " ".join(str(code).replace("_", " ").replace(".", " ").split())
    return words.capitalize() if words else "Unnamed action"
