"""Do-not-buy and do-not-sell lists (firm-owned).

A restriction applies firm-wide (no household, no account), to one household,
or to one account. It is in force from its creation until it is lifted or
its expiry date passes; lifted ones are kept for the record.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.tenancy import FirmOwned
from portfolios.models.reference import Security


class RestrictionSide(models.TextChoices):
    DO_NOT_BUY = "buy", "Do not buy"
    DO_NOT_SELL = "sell", "Do not sell"


class Restriction(FirmOwned):
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=RestrictionSide.choices)
    household = models.ForeignKey(
        "advisory.Household",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="restrictions",
    )
    account = models.ForeignKey(
        "advisory.Account",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="restrictions",
    )
    reason = models.CharField(max_length=300)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Last day it applies; empty means until lifted."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["security__symbol", "side", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(household__isnull=False, account__isnull=False),
                name="restriction_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(side__in=["buy", "sell"]), name="restriction_side_valid"
            ),
        ]
        indexes = [models.Index(fields=["firm", "lifted_at"], name="restriction_firm_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.security} ({self.scope_label})"

    @property
    def scope(self) -> str:
        if self.account_id:
            return "account"
        return "household" if self.household_id else "firm"

    @property
    def scope_label(self) -> str:
        if self.account_id:
            return str(self.account.name)
        return str(self.household.name) if self.household_id else "firm-wide"

    def in_force(self, on: dt.date) -> bool:
        return self.lifted_at is None and (self.expires_on is None or self.expires_on >= on)
