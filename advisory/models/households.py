from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from advisory.money import MONEY
from advisory.tenancy import FirmOwned


class Household(FirmOwned):
    """A family: the unit of advice. Has clients, accounts and an advisor."""

    name = models.CharField(max_length=200)
    primary_advisor = models.ForeignKey(
        "advisory.Membership", on_delete=models.PROTECT, related_name="primary_households"
    )
    team = models.ManyToManyField(
        "advisory.Membership",
        through="advisory.HouseholdTeamMember",
        related_name="team_households",
        blank=True,
    )
    model = models.ForeignKey(
        "portfolios.ModelPortfolio",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
        help_text="Target for household-level drift across all its accounts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="household_firm_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class HouseholdTeamMember(FirmOwned):
    """An advisor on a household's team besides its primary advisor."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(
        "advisory.Membership", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "household", "membership"], name="team_member_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.membership} on {self.household}"


class Client(FirmOwned):
    """A person in a household, optionally able to log in to the portal."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="client_profiles",
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "user"],
                condition=models.Q(user__isnull=False),
                name="client_firm_user_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Registration(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    JOINT = "joint", "Joint"
    TRUST = "trust", "Trust"
    TRADITIONAL_IRA = "traditional_ira", "Traditional IRA"
    ROTH_IRA = "roth_ira", "Roth IRA"
    ROLLOVER_IRA = "rollover_ira", "Rollover IRA"
    SEP_IRA = "sep_ira", "SEP IRA"
    PLAN_401K = "401k", "401(k)"
    PLAN_403B = "403b", "403(b)"
    CUSTODIAL = "custodial", "Custodial (UTMA)"
    CORPORATE = "corporate", "Corporate"


class TaxStatus(models.TextChoices):
    TAXABLE = "taxable", "Taxable"
    TAX_DEFERRED = "tax_deferred", "Tax-deferred"
    TAX_EXEMPT = "tax_exempt", "Tax-exempt"


class Custodian(models.TextChoices):
    SCHWAB = "schwab", "Charles Schwab"
    FIDELITY = "fidelity", "Fidelity"
    PERSHING = "pershing", "Pershing"
    ALTRUIST = "altruist", "Altruist"
    OTHER = "other", "Other"


class Account(FirmOwned):
    """One custodial account of a household."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(max_length=200)
    registration = models.CharField(max_length=20, choices=Registration.choices)
    tax_status = models.CharField(max_length=20, choices=TaxStatus.choices)
    custodian = models.CharField(max_length=20, choices=Custodian.choices)
    account_number = models.CharField(
        max_length=32,
        validators=[RegexValidator(r"^[A-Za-z0-9-]{4,32}$", "4–32 letters, digits or dashes.")],
        help_text="The custodian's number; shown masked everywhere but order files.",
    )
    model = models.ForeignKey(
        "portfolios.ModelPortfolio",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="accounts",
    )
    cash_balance = models.DecimalField(**MONEY, default=Decimal("0.00"))
    fractional_allowed = models.BooleanField(
        default=False, help_text="Whether trades may use fractional shares."
    )
    held_away = models.BooleanField(
        default=False,
        help_text="Held at another custodian (e.g. a 401(k)): counts toward household "
        "drift, never traded.",
    )
    owners = models.ManyToManyField(
        Client,
        through="advisory.AccountOwner",
        related_name="owned_accounts",
        blank=True,
        help_text="The clients of the household the account belongs to (one, or several "
        "for a joint account).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["household__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "custodian", "account_number"], name="account_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.masked_number}"

    @property
    def masked_number(self) -> str:
        return "••••" + self.account_number[-4:]


class AccountOwner(FirmOwned):
    """A client who owns an account: the portal shows a client the accounts they own (and,
    when the firm shares households, the rest of their household's)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="ownerships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="ownerships")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "account", "client"], name="account_owner_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} owns {self.account}"

    def clean(self) -> None:
        if not (self.account_id and self.client_id):
            return
        if self.account.household_id != self.client.household_id:
            raise ValidationError("An account's owners must be clients of its household.")
        twins = AccountOwner.objects.filter(account=self.account_id, client=self.client_id)
        if twins.exclude(pk=self.pk).exists():
            raise ValidationError(f"{self.client} already owns this account.")
