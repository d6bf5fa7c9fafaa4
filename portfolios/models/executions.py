"""Executions: what the custodian actually did with an exported proposal (firm-owned).

An :class:`Execution` is one confirmation file (or one hand entry) applied to
one proposal; its :class:`Fill` rows are the trades done, each matched to a
proposed trade when it can be. Applying an execution changes lots and cash in
the same transaction that writes these rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.money import MONEY, PRICE, QUANTITY
from advisory.tenancy import FirmOwned
from portfolios.models.reference import Security


class ExecutionSource(models.TextChoices):
    FILE = "file", "Custodian file"
    MANUAL = "manual", "Entered by hand"


class Execution(FirmOwned):
    proposal = models.ForeignKey(
        "portfolios.Proposal", on_delete=models.PROTECT, related_name="executions"
    )
    source = models.CharField(max_length=8, choices=ExecutionSource.choices)
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    # Matched, partial and unmatched fills, and what the proposal asked for that was not done.
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Execution #{self.pk} of proposal #{self.proposal_id}"


class Fill(FirmOwned):
    """One execution report line: a quantity of one security bought or sold at one price."""

    class Side(models.TextChoices):
        BUY = "buy", "Buy"
        SELL = "sell", "Sell"

    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="fills")
    trade = models.ForeignKey(
        "portfolios.ProposedTrade",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fills",
        help_text="The proposed trade it fills; empty for a fill nothing proposed.",
    )
    account = models.ForeignKey("advisory.Account", on_delete=models.PROTECT, related_name="+")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.DecimalField(**QUANTITY)
    price = models.DecimalField(**PRICE)
    amount = models.DecimalField(
        **MONEY, help_text="Net cash: paid for a buy, received for a sell."
    )
    trade_date = models.DateField()
    external_id = models.CharField(
        max_length=64, blank=True, help_text="The custodian's id of the fill (duplicates refused)."
    )
    # Sells: [{"lot": id, "quantity": "…", "cost_basis": "…"|None, "gain": "…"|None,
    #          "acquired_on": "…"}]; buys: the lot created.
    lots = models.JSONField(default=list, blank=True)
    created_lot = models.ForeignKey(
        "portfolios.TaxLot", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["execution", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="fill_quantity_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="fill_price_positive"),
            models.CheckConstraint(condition=Q(side__in=["buy", "sell"]), name="fill_side_valid"),
            models.UniqueConstraint(
                fields=["firm", "external_id"],
                condition=~Q(external_id=""),
                name="fill_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["firm", "account", "trade_date"], name="fill_account_idx")]

    def __str__(self) -> str:
        return f"{self.side} {self.quantity} #{self.security_id} @ {self.price}"
