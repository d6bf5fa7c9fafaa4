"""Tax lots: what an account holds (firm-owned)."""

from django.db import models
from django.db.models import Q

from advisory.money import MONEY, QUANTITY
from advisory.tenancy import FirmOwned
from portfolios.models.reference import Security


class TaxLot(FirmOwned):
    """Shares of one security bought on one date at one cost, in one account."""

    account = models.ForeignKey("advisory.Account", on_delete=models.CASCADE, related_name="lots")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="lots")
    quantity = models.DecimalField(**QUANTITY)
    cost_basis = models.DecimalField(
        **MONEY,
        null=True,
        blank=True,
        help_text="Total cost of the lot. Empty means unknown (e.g. after a transfer), never zero.",
    )
    acquired_on = models.DateField()

    class Meta:
        ordering = ["account", "security", "acquired_on"]
        verbose_name = "tax lot"
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="lot_quantity_non_negative"),
            models.CheckConstraint(
                condition=Q(cost_basis__isnull=True) | Q(cost_basis__gte=0),
                name="lot_cost_basis_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["firm", "account"], name="lot_firm_account_idx")]

    def __str__(self) -> str:
        return f"{self.quantity} {self.security} on {self.acquired_on}"

    @property
    def cost_basis_known(self) -> bool:
        return self.cost_basis is not None
