"""Model portfolios and their targets (firm-owned)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from advisory.money import PERCENT
from advisory.tenancy import FirmOwned
from portfolios.bands import DEFAULT_ABS_BAND, DEFAULT_REL_BAND
from portfolios.models.reference import AssetClass, Security

HUNDRED = Decimal("100")


class ModelPortfolio(FirmOwned):
    """A firm's target allocation: Target rows whose weights sum to 100%."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Number of the live ModelVersion (households follow it)."
    )
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="Retired models take no new households."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "model portfolio"
        constraints = [
            models.UniqueConstraint(fields=["firm", "name"], name="model_firm_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


def validate_target_weights(weights: list[Decimal]) -> None:
    """A model's target weights must add up to exactly 100%."""
    total = sum(weights, Decimal("0"))
    if total != HUNDRED:
        raise ValidationError(
            f"Target weights must sum to 100%; they sum to {total.normalize():f}%.",
            code="weights_sum",
        )


class Target(FirmOwned):
    """One line of a model: an asset class (or a single security) and its band."""

    model = models.ForeignKey(ModelPortfolio, on_delete=models.CASCADE, related_name="targets")
    asset_class = models.ForeignKey(
        AssetClass, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    security = models.ForeignKey(
        Security, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    weight = models.DecimalField(
        **PERCENT,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(HUNDRED)],
        help_text="Target weight in percent of the portfolio, cash included.",
    )
    abs_band = models.DecimalField(
        **PERCENT,
        default=DEFAULT_ABS_BAND,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Absolute tolerance in percentage points (the 5 of 5/25).",
    )
    rel_band = models.DecimalField(
        **PERCENT,
        default=DEFAULT_REL_BAND,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Relative tolerance in percent of the target (the 25 of 5/25).",
    )
    preferred_security = models.ForeignKey(
        Security,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="What to buy to fill this target (e.g. IWM for US small cap).",
    )
    equivalents = models.ManyToManyField(
        Security, through="portfolios.TargetEquivalent", related_name="+", blank=True
    )

    class Meta:
        ordering = ["model", "-weight"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(asset_class__isnull=False, security__isnull=True)
                    | Q(asset_class__isnull=True, security__isnull=False)
                ),
                name="target_class_xor_security",
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=0, weight__lte=100), name="target_weight_range"
            ),
            models.CheckConstraint(
                condition=Q(abs_band__gte=0, rel_band__gte=0), name="target_bands_non_negative"
            ),
            models.UniqueConstraint(
                fields=["model", "asset_class"],
                condition=Q(asset_class__isnull=False),
                name="target_model_class_unique",
            ),
            models.UniqueConstraint(
                fields=["model", "security"],
                condition=Q(security__isnull=False),
                name="target_model_security_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_class or self.security} {self.weight}%"

    def clean(self) -> None:
        if bool(self.asset_class_id) == bool(self.security_id):
            raise ValidationError("A target names either an asset class or a security, not both.")


class TargetEquivalent(FirmOwned):
    """A security that counts toward a target and is not sold just to swap it."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="equivalent_links")
    security = models.ForeignKey(Security, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "security"], name="target_equivalent_unique"),
        ]

    def __str__(self) -> str:
        return str(self.security)
