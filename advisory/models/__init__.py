from .audit_event import AuditEvent
from .firms import ADVISING_ROLES, STAFF_ROLES, Firm, Membership, Role
from .households import Account, Client, Household, HouseholdTeamMember, Registration, TaxStatus
from .users import User

__all__ = [
    "ADVISING_ROLES",
    "STAFF_ROLES",
    "Account",
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
