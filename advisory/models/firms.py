from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from advisory.tenancy import FirmOwned


class Firm(models.Model):
    """A registered investment adviser: the tenant. Not itself scoped."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    require_staff_mfa = models.BooleanField(
        "Staff must use two-factor authentication",
        default=True,
        help_text="Admins, advisors and compliance officers must set up an authenticator app "
        "(after a grace period from their first sign-in). Clients may choose to.",
    )
    mfa_grace_days = models.PositiveSmallIntegerField(
        "Days to set up two-factor authentication",
        null=True,
        blank=True,
        validators=[MaxValueValidator(30)],
        help_text="How long staff may work without an authenticator app after their first "
        "sign-in (0 to 30). Empty: the platform default.",
    )
    self_approval_below = models.DecimalField(
        "Self-approval allowed below",
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Proposals whose total trade value is below this amount may be approved by "
        "their author. Empty: every proposal needs a second approver who did not create, "
        "refresh or edit it.",
    )
    portal_shares_household = models.BooleanField(
        "Household members see each other's accounts",
        default=True,
        help_text="In the client portal, every client of a household sees all its accounts and "
        "its household reports. Off: a client sees only the accounts they own, and a "
        "household report only if they own every account in the household.",
    )
    portal_shows_cost_basis = models.BooleanField(
        "Show clients their cost basis",
        default=False,
        help_text="In the client portal, show each holding's cost basis and gain or loss.",
    )
    client_service_phone = models.CharField(
        max_length=40,
        blank=True,
        help_text="Shown to clients in the portal next to their advisor's e-mail address.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Firm admin"
    ADVISOR = "advisor", "Advisor"
    COMPLIANCE = "compliance", "Compliance officer"
    CLIENT = "client", "Client"


# Who advises: works a book, edits households and accounts, writes proposals.
ADVISING_ROLES = (Role.ADMIN, Role.ADVISOR)
# Who reads the firm's books at work (everyone but clients).
STAFF_ROLES = (*ADVISING_ROLES, Role.COMPLIANCE)


class Membership(FirmOwned):
    """A user's role in one firm."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    # When the staff MFA grace period began (the first request after MFA became required).
    mfa_grace_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__full_name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "user"], name="membership_firm_user_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def can_write(self) -> bool:
        """Compliance reads everything and changes nothing; clients only read."""
        return self.role in ADVISING_ROLES

    @property
    def sees_whole_firm(self) -> bool:
        return self.role in (Role.ADMIN, Role.COMPLIANCE)
