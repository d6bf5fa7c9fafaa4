"""Runs of the nightly price feed (platform-wide: prices are shared reference data)."""

from django.db import models


class PriceFeedState(models.TextChoices):
    RUNNING = "running", "Running"
    LOADED = "loaded", "Loaded"
    PARTIAL = "partial", "Loaded with problems"
    NOTHING = "nothing", "No new prices"
    FAILED = "failed", "Failed"


class PriceFeedRun(models.Model):
    """One pass of the configured price source: what it loaded, rejected and still misses."""

    source = models.CharField(max_length=80)
    state = models.CharField(max_length=10, choices=PriceFeedState.choices)
    price_date = models.DateField(null=True, blank=True, help_text="Latest close loaded.")
    files = models.JSONField(default=list, blank=True)
    rows_loaded = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="At most 200 errors.")
    # Securities held by some firm with no price, or with a stale one, after the run.
    missing = models.JSONField(default=list, blank=True)
    stale = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Price feed {self.source} {self.started_at:%Y-%m-%d %H:%M} ({self.state})"
