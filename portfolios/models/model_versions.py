"""Versions of a model portfolio (firm-owned).

A model's live targets are its :class:`~portfolios.models.Target` rows; every
change made through the model pages writes a new :class:`ModelVersion` holding
the complete set of lines as they became (a snapshot, so history never depends
on rows that changed later). ``ModelPortfolio.version`` is the number of the
live one; a proposal records the number it was built on and is stale when the
model has moved on. A *draft* version holds proposed lines that are not live
yet (the model-change preview builds on it).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.tenancy import FirmOwned


class ModelVersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    LIVE = "live", "Live"
    SUPERSEDED = "superseded", "Superseded"
    DISCARDED = "discarded", "Discarded"


class ModelVersion(FirmOwned):
    """One numbered set of a model's target lines, with who made it and why."""

    model = models.ForeignKey(
        "portfolios.ModelPortfolio", on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=12, choices=ModelVersionState.choices)
    # [{"asset_class": id|None, "security": id|None, "weight": "…", "abs_band": "…",
    #   "rel_band": "…", "preferred_security": id|None, "equivalents": [ids]}], Decimal strings.
    lines = models.JSONField(default=list)
    summary = models.TextField(blank=True, help_text="What changed and why, in words.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    made_live_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "model", "number"], name="model_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["firm", "model"],
                condition=Q(state="live"),
                name="model_version_one_live",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="model_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.model} v{self.number} ({self.state})"
