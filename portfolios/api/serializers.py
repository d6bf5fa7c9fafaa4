"""What the portfolio resources read and write: plain, documented fields, money as strings.

Read serializers name related rows by id (and a label where a person needs one); the
querysets in :mod:`portfolios.api.views` load those labels with ``select_related`` so a
page costs the same number of queries at 2 rows as at 2,000.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portfolios.bands import DEFAULT_ABS_BAND, DEFAULT_REL_BAND
from portfolios.model_versions.lines import Line
from portfolios.models import (
    AssetClass,
    DriftSnapshot,
    Execution,
    ModelPortfolio,
    ModelVersion,
    Price,
    Proposal,
    ProposalMode,
    ProposedTrade,
    Restriction,
    RestrictionSide,
    Security,
    Target,
    TaxLot,
)
from portfolios.pricing.sources import PRESETS
from portfolios.proposals.order_files import FORMATS
from portfolios.rebalance.notes import text_of

MAX_ID = 2**63 - 1  # a bigger id would overflow the database's bigint: a 400, not a 500
MAX_VERSION = 2**31 - 1

# --- Reference data ---------------------------------------------------------------------------


class SecuritySerializer(serializers.ModelSerializer):
    asset_class = serializers.CharField(source="asset_class.slug", read_only=True)

    class Meta:
        model = Security
        fields = ["id", "symbol", "name", "security_type", "asset_class"]


class PriceSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="security.symbol", read_only=True)

    class Meta:
        model = Price
        fields = ["id", "security", "symbol", "date", "close", "source"]


class ManualPriceSerializer(serializers.Serializer):
    """One close for this firm only (``manual:<firm slug>``), as the Imports page enters it."""

    symbol = serializers.CharField(max_length=40)
    date = serializers.DateField()
    close = serializers.DecimalField(max_digits=18, decimal_places=6, min_value=0)


class PriceImportSerializer(serializers.Serializer):
    """A shared price file (platform operators only), as on the Imports page."""

    file = serializers.FileField()
    source = serializers.CharField(max_length=40, default="csv")
    preset = serializers.ChoiceField(choices=sorted(PRESETS), default="generic")
    partial = serializers.BooleanField(default=False)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class PriceImportResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    rows_read = serializers.IntegerField()
    written = serializers.IntegerField()
    already_present = serializers.IntegerField()
    error_count = serializers.IntegerField()
    errors = RowErrorSerializer(many=True)


# --- Books ------------------------------------------------------------------------------------


class PositionSerializer(serializers.ModelSerializer):
    """One tax lot."""

    household = serializers.IntegerField(source="account.household_id", read_only=True)
    symbol = serializers.CharField(source="security.symbol", read_only=True)

    class Meta:
        model = TaxLot
        fields = [
            "id", "account", "household", "security", "symbol", "quantity", "cost_basis",
            "acquired_on",
        ]  # fmt: skip


class TargetSerializer(serializers.ModelSerializer):
    asset_class = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    security = serializers.SlugRelatedField(slug_field="symbol", read_only=True, allow_null=True)
    preferred_security = serializers.SlugRelatedField(
        slug_field="symbol", read_only=True, allow_null=True
    )
    equivalents = serializers.SlugRelatedField(slug_field="symbol", read_only=True, many=True)

    class Meta:
        model = Target
        fields = [
            "id", "asset_class", "security", "weight", "abs_band", "rel_band",
            "preferred_security", "equivalents",
        ]  # fmt: skip


class ModelVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = ModelVersion
        fields = ["number", "state", "summary", "lines", "created_by", "created_at", "made_live_at"]


class ModelPortfolioSerializer(serializers.ModelSerializer):
    """A model with its live targets (``version`` is the live version's number)."""

    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = ModelPortfolio
        fields = ["id", "name", "description", "version", "retired_at", "targets", "updated_at"]


class ModelPortfolioDetailSerializer(ModelPortfolioSerializer):
    versions = ModelVersionSerializer(many=True, read_only=True)

    class Meta(ModelPortfolioSerializer.Meta):
        fields = [*ModelPortfolioSerializer.Meta.fields, "versions"]


class DriftSnapshotSerializer(serializers.ModelSerializer):
    class Meta:
        model = DriftSnapshot
        fields = [
            "id", "kind", "household", "account", "model", "as_of", "status", "market_value",
            "cash_value", "cash_weight", "worst_bucket", "worst_abs_drift", "worst_rel_drift",
            "missing_symbols", "buckets", "computed_at",
        ]  # fmt: skip


# --- Restrictions -----------------------------------------------------------------------------


class RestrictionSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="security.symbol", read_only=True)
    scope = serializers.CharField(read_only=True)

    class Meta:
        model = Restriction
        fields = [
            "id", "symbol", "side", "scope", "household", "account", "reason", "expires_on",
            "created_at", "lifted_at",
        ]  # fmt: skip


class RestrictionCreateSerializer(serializers.Serializer):
    """Firm-wide without ``household`` and ``account``; else for one of them."""

    symbol = serializers.CharField(max_length=12)
    side = serializers.ChoiceField(choices=RestrictionSide.choices)
    reason = serializers.CharField(max_length=300)
    household = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    account = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    expires_on = serializers.DateField(required=False, allow_null=True)


class LiftSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


# --- Proposals --------------------------------------------------------------------------------


class NoteSerializer(serializers.Serializer):
    """One structured note (docs/rebalancing.md "Notes"); an older plain note is its text."""

    rule = serializers.IntegerField(allow_null=True)
    subject = serializers.CharField(allow_blank=True)
    effect = serializers.CharField()
    drift_left = serializers.CharField(allow_null=True)
    text = serializers.CharField(allow_blank=True)

    def to_representation(self, note: Any) -> dict[str, Any]:
        if isinstance(note, dict):
            return {
                "rule": note.get("rule"),
                "subject": str(note.get("subject") or ""),
                "effect": str(note.get("effect") or "info"),
                "drift_left": note.get("drift_left"),
                "text": text_of(note),
            }
        return {"rule": None, "subject": "", "effect": "info", "drift_left": None,
                "text": text_of(note)}  # fmt: skip


class LotSaleSerializer(serializers.Serializer):
    lot_id = serializers.IntegerField()
    quantity = serializers.CharField()
    cost_basis = serializers.CharField(allow_null=True)
    gain = serializers.CharField(allow_null=True)
    term = serializers.CharField()


class TradeSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="security.symbol", read_only=True)
    lots = serializers.SerializerMethodField()

    class Meta:
        model = ProposedTrade
        fields = [
            "id", "account", "security", "symbol", "side", "quantity", "price", "value",
            "reason", "lots", "edited",
        ]  # fmt: skip

    @extend_schema_field(LotSaleSerializer(many=True))
    def get_lots(self, trade: ProposedTrade) -> list[dict[str, Any]]:
        return [
            {k: (None if sale.get(k) is None else str(sale.get(k)))
             for k in ("quantity", "cost_basis", "gain")}
            | {"lot_id": int(sale.get("lot_id", 0)), "term": str(sale.get("term", ""))}
            for sale in trade.lots or []
        ]  # fmt: skip


class ProposalSerializer(serializers.ModelSerializer):
    """A proposal as a list shows it (no trades)."""

    author = serializers.EmailField(source="author.email", read_only=True)
    scope = serializers.CharField(read_only=True)

    class Meta:
        model = Proposal
        fields = [
            "id", "household", "account", "scope", "mode", "state", "version", "as_of",
            "author", "total_value", "trade_value", "created_at", "updated_at",
        ]  # fmt: skip


class ProposalDetailSerializer(ProposalSerializer):
    trades = TradeSerializer(many=True, read_only=True)
    notes = NoteSerializer(many=True, read_only=True)
    approved_by = serializers.EmailField(
        source="approved_by.email", read_only=True, default=None, allow_null=True
    )
    rejected_by = serializers.EmailField(
        source="rejected_by.email", read_only=True, default=None, allow_null=True
    )
    submitted_by = serializers.EmailField(
        source="submitted_by.email", read_only=True, default=None, allow_null=True
    )
    cash_after = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [
            *ProposalSerializer.Meta.fields, "options", "model_version", "realized_short_term",
            "realized_long_term", "cash_after", "comment", "submitted_by", "submitted_at",
            "approved_by", "rejected_by", "decided_at", "exported_at", "executed_at",
            "order_file_sha256", "notes", "trades",
        ]  # fmt: skip


class ProposalCreateSerializer(serializers.Serializer):
    """Propose for a household or one of its accounts (exactly one), as the pages do."""

    household = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    account = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    mode = serializers.ChoiceField(choices=ProposalMode.choices)
    raise_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    cash_reserve_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
        allow_null=True,
    )  # fmt: skip
    min_trade_value = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    another = serializers.BooleanField(
        default=False,
        help_text="Create it even though the household has open proposals (audited).",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if bool(data.get("household")) == bool(data.get("account")):
            raise serializers.ValidationError("Give a household or an account, not both.")
        if data["mode"] == ProposalMode.RAISE_CASH and not data.get("raise_amount"):
            raise serializers.ValidationError({"raise_amount": "Say how much cash to raise."})
        return data


class VersionSerializer(serializers.Serializer):
    """The version the caller last read (optimistic locking: 409 if it moved)."""

    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)


class DecideSerializer(VersionSerializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ExportSerializer(VersionSerializer):
    custodian = serializers.ChoiceField(choices=sorted(FORMATS), default="generic")


class ExecutionUploadSerializer(VersionSerializer):
    file = serializers.FileField(help_text="The custodian's execution report (CSV).")


class ExecutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Execution
        fields = ["id", "proposal", "source", "file_name", "file_sha256", "summary", "created_at"]


# --- Writing models (portfolios.model_versions.service) -----------------------------------------


class TargetLineSerializer(serializers.Serializer):
    """One target line: an asset class (slug) or a single security (symbol), not both."""

    asset_class = serializers.SlugRelatedField(
        slug_field="slug", queryset=AssetClass.objects.all(), required=False, allow_null=True
    )
    security = serializers.SlugRelatedField(
        slug_field="symbol", queryset=Security.objects.all(), required=False, allow_null=True
    )
    weight = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=0, max_value=100)
    abs_band = serializers.DecimalField(
        max_digits=7, decimal_places=4, min_value=0, default=DEFAULT_ABS_BAND
    )
    rel_band = serializers.DecimalField(
        max_digits=7, decimal_places=4, min_value=0, default=DEFAULT_REL_BAND
    )
    preferred_security = serializers.SlugRelatedField(
        slug_field="symbol", queryset=Security.objects.all(), required=False, allow_null=True
    )
    equivalents = serializers.SlugRelatedField(
        slug_field="symbol", queryset=Security.objects.all(), many=True, required=False
    )

    def line(self, data: dict[str, Any]) -> Line:
        def pk(value: Any) -> int | None:
            return None if value is None else value.pk

        return Line(
            asset_class_id=pk(data.get("asset_class")),
            security_id=pk(data.get("security")),
            weight=data["weight"],
            abs_band=data["abs_band"],
            rel_band=data["rel_band"],
            preferred_security_id=pk(data.get("preferred_security")),
            equivalent_ids=tuple(s.pk for s in data.get("equivalents", [])),
        )


class ModelCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    lines = TargetLineSerializer(many=True, allow_empty=False)

    def model_lines(self) -> list[Line]:
        return [TargetLineSerializer().line(row) for row in self.validated_data["lines"]]


class ModelPublishSerializer(serializers.Serializer):
    """A new live version; ``version`` is the live version number the caller read (409 if
    someone published meanwhile)."""

    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)
    summary = serializers.CharField(max_length=2000)
    lines = TargetLineSerializer(many=True, allow_empty=False)

    def model_lines(self) -> list[Line]:
        return [TargetLineSerializer().line(row) for row in self.validated_data["lines"]]
