"""Rebalance proposals and their trades (firm-owned).

The workflow lives in :mod:`portfolios.proposals.workflow`; nothing else writes these rows.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.money import MONEY, PRICE, QUANTITY
from advisory.tenancy import FirmOwned


class ProposalMode(models.TextChoices):
    TO_TARGET = "to_target", "All the way to target"
    TO_BAND = "to_band", "Back inside the bands"
    BUY_ONLY = "buy_only", "Buy only (invest cash)"
    RAISE_CASH = "raise_cash", "Raise cash"


class ProposalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPORTED = "exported", "Exported"
    EXECUTED = "executed", "Executed"
    CANCELLED = "cancelled", "Cancelled"


class Proposal(FirmOwned):
    """A list of trades for one household (or one of its accounts), and its approval.

    ``version`` is bumped by every change: writers pass the version they read
    and lose (``ProposalConflict``) if someone changed it meanwhile.
    ``inputs_fingerprint`` is the SHA-256 of the lots, cash and prices the
    trades were computed from; when the current data hashes differently, the
    proposal is stale and cannot be approved.
    """

    household = models.ForeignKey(
        "advisory.Household", on_delete=models.PROTECT, related_name="proposals"
    )
    account = models.ForeignKey(
        "advisory.Account",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        help_text="Set for an account-level proposal; empty for the whole household.",
    )
    mode = models.CharField(max_length=12, choices=ProposalMode.choices)
    options = models.JSONField(default=dict, blank=True, help_text="The engine options used.")
    state = models.CharField(
        max_length=12, choices=ProposalState.choices, default=ProposalState.DRAFT
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    inputs_fingerprint = models.CharField(max_length=64)
    model_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The model version the trades were computed for."
    )
    as_of = models.DateField()
    total_value = models.DecimalField(**MONEY, default=Decimal("0.00"))
    trade_value = models.DecimalField(
        **MONEY, default=Decimal("0.00"), help_text="Sum of the trades' values, buys and sells."
    )
    realized_short_term = models.DecimalField(**MONEY, default=Decimal("0.00"))
    realized_long_term = models.DecimalField(**MONEY, default=Decimal("0.00"))
    cash_after = models.JSONField(
        default=dict, blank=True, help_text="Estimated cash per account id after the trades."
    )
    notes = models.JSONField(default=list, blank=True)
    projection = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    order_file_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=ProposalState.values), name="proposal_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(mode__in=ProposalMode.values), name="proposal_mode_valid"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="proposal_version_positive"),
        ]
        indexes = [
            models.Index(fields=["firm", "state"], name="proposal_firm_state_idx"),
            models.Index(fields=["firm", "household"], name="proposal_firm_household_idx"),
        ]

    def __str__(self) -> str:
        return f"Proposal #{self.pk} ({self.state})"

    @property
    def scope(self) -> str:
        return "account" if self.account_id else "household"


class ProposedTrade(FirmOwned):
    """One buy or sell of a proposal, in the order it is shown and exported."""

    class Side(models.TextChoices):
        BUY = "buy", "Buy"
        SELL = "sell", "Sell"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="trades")
    account = models.ForeignKey("advisory.Account", on_delete=models.PROTECT, related_name="+")
    security = models.ForeignKey("portfolios.Security", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.DecimalField(**QUANTITY)
    price = models.DecimalField(**PRICE)
    value = models.DecimalField(**MONEY)
    reason = models.TextField(blank=True)
    lots = models.JSONField(default=list, blank=True, help_text="Lot sales of a sell.")
    edited = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["proposal", "position", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="proposed_trade_qty_positive"),
            models.CheckConstraint(
                condition=Q(side__in=["buy", "sell"]), name="proposed_trade_side_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.side} {self.quantity} #{self.security_id}"
