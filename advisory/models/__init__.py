from .api import ApiToken, IdempotencyRecord, TokenScope
from .audit_chain import ACTIVE_VERIFICATION_STATES, AuditVerification, VerificationState
from .audit_event import AuditEvent
from .firms import ADVISING_ROLES, STAFF_ROLES, Firm, Membership, Role
from .households import (
    Account,
    AccountOwner,
    Client,
    Household,
    HouseholdTeamMember,
    Registration,
    TaxStatus,
)
from .invitations import Invitation
from .retention import AuditDisposal, LegalHold
from .users import User
from .webhooks import DeliveryState, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ACTIVE_VERIFICATION_STATES",
    "ADVISING_ROLES",
    "STAFF_ROLES",
    "Account",
    "AccountOwner",
    "ApiToken",
    "AuditDisposal",
    "AuditEvent",
    "AuditVerification",
    "Client",
    "DeliveryState",
    "Firm",
    "Household",
    "HouseholdTeamMember",
    "IdempotencyRecord",
    "Invitation",
    "LegalHold",
    "Membership",
    "Registration",
    "Role",
    "TaxStatus",
    "TokenScope",
    "User",
    "VerificationState",
    "WebhookDelivery",
    "WebhookEndpoint",
]
