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
from .users import User

__all__ = [
    "ADVISING_ROLES",
    "STAFF_ROLES",
    "Account",
    "AccountOwner",
    "AuditEvent",
    "Client",
    "Firm",
    "Household",
    "HouseholdTeamMember",
    "Membership",
    "Registration",
    "Role",
    "TaxStatus",
    "User",
]
