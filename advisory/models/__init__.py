from .audit_event import AuditEvent
from .firms import Firm, Membership, Role
from .households import Account, Client, Household, HouseholdTeamMember, Registration, TaxStatus
from .users import User

__all__ = [
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
