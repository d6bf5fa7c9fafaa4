"""Shared reference data: the same for every firm, not scoped."""

from django.db import models
from django.db.models import Q

from advisory.money import PRICE


class AssetClass(models.Model):
    """A node in the small asset-class tree (Equity → US large cap, …)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    prefers_tax_deferred = models.BooleanField(
        default=False,
        help_text="Asset location: in a household, buy it in tax-deferred accounts first "
        "(bonds and other income that is taxed as it is paid).",
    )

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "asset classes"

    def __str__(self) -> str:
        return self.name


class SecurityType(models.TextChoices):
    ETF = "etf", "ETF"
    STOCK = "stock", "Stock"
    MUTUAL_FUND = "mutual_fund", "Mutual fund"
    BOND = "bond", "Bond"
    CASH = "cash", "Cash equivalent"


class Security(models.Model):
    symbol = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=200)
    security_type = models.CharField(max_length=20, choices=SecurityType.choices)
    asset_class = models.ForeignKey(AssetClass, on_delete=models.PROTECT, related_name="securities")

    class Meta:
        ordering = ["symbol"]
        verbose_name_plural = "securities"
        constraints = [
            models.CheckConstraint(
                condition=Q(symbol__regex=r"^[A-Z0-9.\-]{1,12}$"), name="security_symbol_format"
            ),
        ]

    def __str__(self) -> str:
        return self.symbol


class Price(models.Model):
    """A closing price of one security on one date, from one named source."""

    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="prices")
    date = models.DateField()
    close = models.DecimalField(**PRICE)
    # A shared source ("sample", a vendor file) or "manual:<firm slug>" (one firm only).
    source = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["security", "-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["security", "date", "source"], name="price_security_date_source_unique"
            ),
            models.CheckConstraint(condition=Q(close__gt=0), name="price_close_positive"),
        ]
        indexes = [models.Index(fields=["security", "-date"], name="price_latest_idx")]

    def __str__(self) -> str:
        return f"{self.security} {self.date} {self.close} ({self.source})"
