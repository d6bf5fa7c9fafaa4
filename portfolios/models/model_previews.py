"""Model-change previews: what a draft model version would do to every household following
the model (firm-owned). The work lives in :mod:`portfolios.model_previews`; Celery tasks run
its chunks.

A preview is fanned out in chunks of households, each done exactly once: the chunk's
household rows and its done flag commit together, and (preview, household) is unique, so a
redelivered chunk after a killed worker writes nothing twice.
"""

import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from advisory.money import MONEY
from advisory.tenancy import FirmOwned
from portfolios.models.proposals import ProposalMode


class PreviewState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"


ACTIVE_PREVIEW_STATES = (PreviewState.QUEUED, PreviewState.RUNNING)
PREVIEW_MODES = [(m.value, m.label) for m in ProposalMode if m in ("to_target", "to_band")]


class ModelPreview(FirmOwned):
    """One preview of a draft version across the firm, and its stored result."""

    version = models.ForeignKey(
        "portfolios.ModelVersion", on_delete=models.CASCADE, related_name="previews"
    )
    model = models.ForeignKey(
        "portfolios.ModelPortfolio", on_delete=models.CASCADE, related_name="previews"
    )
    # The draft's lines as previewed: the draft may change afterwards (the page says so).
    lines = models.JSONField(default=list)
    mode = models.CharField(max_length=12, choices=PREVIEW_MODES)
    options = models.JSONField(default=dict, blank=True, help_text="The engine options used.")
    as_of = models.DateField(help_text="The pricing date the preview uses.")
    drift_as_of = models.DateField(null=True, blank=True, help_text="Drift compared against.")
    state = models.CharField(
        max_length=10, choices=PreviewState.choices, default=PreviewState.QUEUED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    households = models.PositiveIntegerField(default=0, help_text="Households previewed.")
    expected_chunks = models.PositiveIntegerField(default=0)
    done_chunks = models.PositiveIntegerField(default=0)
    # Firm totals and per-advisor totals, computed once when the last chunk is done.
    totals = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)
    # A duration, not money: Decimal only because the project keeps floats out of its models.
    engine_seconds = models.DecimalField(
        max_digits=12, decimal_places=3, default=Decimal(0), help_text="Σ time in propose()."
    )
    batch = models.ForeignKey(
        "portfolios.ProposalBatch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The drafts made for the trading households after the commit.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, help_text="Last progress; the watchdog.")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=PreviewState.values), name="model_preview_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(done_chunks__lte=models.F("expected_chunks")),
                name="model_preview_done_le_expected",
            ),
        ]

    def __str__(self) -> str:
        return f"Preview #{self.pk} of {self.version_id} ({self.state})"

    @property
    def progress_percent(self) -> int:
        if not self.expected_chunks:
            return 100 if self.state == PreviewState.COMPLETE else 0
        return int(self.done_chunks * 100 / self.expected_chunks)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_PREVIEW_STATES


class ModelPreviewChunk(FirmOwned):
    """A slice of a preview: an explicit list of household ids (followers are not contiguous)."""

    preview = models.ForeignKey(ModelPreview, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    household_ids = models.JSONField(default=list)
    done = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["preview", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "preview", "index"], name="model_preview_chunk_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.preview_id}#{self.index}"


class PreviewOutcome(models.TextChoices):
    TRADES = "trades", "Would trade"
    NO_TRADES = "no_trades", "Nothing to trade"
    FAILED = "failed", "Cannot propose"


class ModelPreviewHousehold(FirmOwned):
    """What the draft would do to one household: trades, turnover, gains, bands."""

    preview = models.ForeignKey(ModelPreview, on_delete=models.CASCADE, related_name="rows")
    household = models.ForeignKey("advisory.Household", on_delete=models.CASCADE, related_name="+")
    advisor = models.ForeignKey(
        "advisory.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The household's primary advisor when previewed.",
    )
    outcome = models.CharField(max_length=10, choices=PreviewOutcome.choices)
    detail = models.CharField(max_length=300, blank=True)
    market_value = models.DecimalField(**MONEY, default=Decimal("0.00"))
    trade_count = models.PositiveIntegerField(default=0)
    buy_value = models.DecimalField(**MONEY, default=Decimal("0.00"))
    sell_value = models.DecimalField(**MONEY, default=Decimal("0.00"))
    realized_short_term = models.DecimalField(**MONEY, default=Decimal("0.00"))
    realized_long_term = models.DecimalField(**MONEY, default=Decimal("0.00"))
    cash_before = models.DecimalField(**MONEY, default=Decimal("0.00"))
    cash_after = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Bands: per the latest drift (the live model; None without a snapshot), under the draft
    # before trading, and under the draft after the would-be trades.
    breached_now = models.BooleanField(null=True)
    breached_new = models.BooleanField(null=True)
    breached_after = models.BooleanField(null=True)
    # The would-be trades and the engine's notes, compact JSON text (see encode_result): written
    # once, read one household at a time, never queried into; text, not jsonb, because
    # parsing 5 MB of jsonb per thousand households doubled the cost of writing a chunk.
    result = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["preview", "household"]
        constraints = [
            models.UniqueConstraint(
                fields=["firm", "preview", "household"], name="model_preview_household_once"
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=PreviewOutcome.values),
                name="model_preview_outcome_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["preview", "outcome"], name="preview_row_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"Preview #{self.preview_id} · household #{self.household_id}: {self.outcome}"

    @property
    def trades(self) -> list[dict[str, Any]]:
        """The would-be trades as dicts (keys: see TRADE_KEYS; lots: LOT_KEYS)."""
        return decode_result(self.result)[0]

    @property
    def notes(self) -> list[dict[str, Any]]:
        return decode_result(self.result)[1]

    @property
    def turnover(self) -> Decimal:
        """Value traded, buys plus sells."""
        return self.buy_value + self.sell_value

    @property
    def realized_total(self) -> Decimal:
        return self.realized_short_term + self.realized_long_term


# --- The stored result: trades as arrays, in these key orders -------------------------------

TRADE_KEYS = (
    "account_id",
    "security_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "value",
    "reason",
    "lots",
)
LOT_KEYS = ("lot_id", "quantity", "cost_basis", "gain", "term")


def encode_result(trades: list[dict[str, Any]], notes: list[dict[str, Any]]) -> str:
    """Trades (dicts of TRADE_KEYS, lots of LOT_KEYS) and notes as compact JSON text."""
    rows = [
        [*(t[k] for k in TRADE_KEYS[:-1]), [[lot[k] for k in LOT_KEYS] for lot in t["lots"]]]
        for t in trades
    ]
    return json.dumps({"t": rows, "n": notes}, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=64)
def _decoded(text: str) -> tuple[list, list]:
    data = json.loads(text) if text else {}
    trades = [
        {
            **dict(zip(TRADE_KEYS[:-1], row[:-1], strict=True)),
            "lots": [dict(zip(LOT_KEYS, lot, strict=True)) for lot in row[-1]],
        }
        for row in data.get("t", [])
    ]
    return trades, data.get("n", [])


def decode_result(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(trades, notes) from :func:`encode_result`'s text (fresh lists: callers may change them)."""
    trades, notes = _decoded(text)
    return [dict(t, lots=[dict(x) for x in t["lots"]]) for t in trades], [dict(n) for n in notes]
