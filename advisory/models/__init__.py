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

__all__ = [
    "ACTIVE_VERIFICATION_STATES",
    "ADVISING_ROLES",
    "STAFF_ROLES",
    "Account",
    "AccountOwner",
    "AuditDisposal",
    "AuditEvent",
    "AuditVerification",
    "Client",
    "Firm",
    "Household",
    "HouseholdTeamMember",
    "Invitation",
    "LegalHold",
    "Membership",
    "Registration",
    "Role",
    "TaxStatus",
    "User",
    "VerificationState",
]
