from django.conf import settings
from django.db import models

from advisory.tenancy import FirmOwned


class Firm(models.Model):
    """A registered investment adviser: the tenant. Not itself scoped."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    require_staff_mfa = models.BooleanField(
        default=False,
        help_text="Admins, advisors and compliance officers must use an authenticator app.",
    )
    four_eyes_threshold = models.DecimalField(
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Proposals whose total trade value is above this amount need a second "
        "approver who did not write or edit them. Empty: off.",
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
