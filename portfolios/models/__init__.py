from portfolios.models.batches import (
    ACTIVE_BATCH_STATES,
    BatchOutcome,
    BatchState,
    ProposalBatch,
    ProposalBatchItem,
)
from portfolios.models.custodian_files import ColumnMapping
from portfolios.models.drift import (
    ACTIVE_RUN_STATES,
    DriftChunk,
    DriftRun,
    DriftRunState,
    DriftSnapshot,
    DriftStatus,
)
from portfolios.models.executions import Execution, ExecutionSource, Fill
from portfolios.models.holdings import TaxLot
from portfolios.models.imports import (
    ACTIVE_IMPORT_STATES,
    ImportState,
    PositionImport,
    ReplacedLot,
)
from portfolios.models.model_previews import (
    ACTIVE_PREVIEW_STATES,
    ModelPreview,
    ModelPreviewChunk,
    ModelPreviewHousehold,
    PreviewOutcome,
    PreviewState,
)
from portfolios.models.model_versions import ModelVersion, ModelVersionState
from portfolios.models.price_feed import PriceFeedRun, PriceFeedState
from portfolios.models.proposals import Proposal, ProposalMode, ProposalState, ProposedTrade
from portfolios.models.reference import AssetClass, Price, Security, SecurityType
from portfolios.models.restrictions import Restriction, RestrictionSide
from portfolios.models.targets import (
    HUNDRED,
    ModelPortfolio,
    Target,
    TargetEquivalent,
    validate_target_weights,
)

__all__ = [
    "ACTIVE_BATCH_STATES",
    "ACTIVE_IMPORT_STATES",
    "ACTIVE_PREVIEW_STATES",
    "ACTIVE_RUN_STATES",
    "HUNDRED",
    "AssetClass",
    "BatchOutcome",
    "BatchState",
    "ColumnMapping",
    "DriftChunk",
    "DriftRun",
    "DriftRunState",
    "DriftSnapshot",
    "DriftStatus",
    "Execution",
    "ExecutionSource",
    "Fill",
    "ImportState",
    "ModelPortfolio",
    "ModelPreview",
    "ModelPreviewChunk",
    "ModelPreviewHousehold",
    "ModelVersion",
    "ModelVersionState",
    "PositionImport",
    "PreviewOutcome",
    "PreviewState",
    "Price",
    "PriceFeedRun",
    "PriceFeedState",
    "Proposal",
    "ProposalBatch",
    "ProposalBatchItem",
    "ProposalMode",
    "ProposalState",
    "ProposedTrade",
    "ReplacedLot",
    "Restriction",
    "RestrictionSide",
    "Security",
    "SecurityType",
    "Target",
    "TargetEquivalent",
    "TaxLot",
    "validate_target_weights",
]
