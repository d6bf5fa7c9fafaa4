from portfolios.models.batches import (
    ACTIVE_BATCH_STATES,
    BatchOutcome,
    BatchState,
    ProposalBatch,
    ProposalBatchItem,
)
from portfolios.models.drift import (
    ACTIVE_RUN_STATES,
    DriftChunk,
    DriftRun,
    DriftRunState,
    DriftSnapshot,
    DriftStatus,
)
from portfolios.models.holdings import TaxLot
from portfolios.models.imports import (
    ACTIVE_IMPORT_STATES,
    ImportState,
    PositionImport,
    ReplacedLot,
)
from portfolios.models.proposals import Proposal, ProposalMode, ProposalState, ProposedTrade
from portfolios.models.reference import AssetClass, Price, Security, SecurityType
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
    "ACTIVE_RUN_STATES",
    "HUNDRED",
    "AssetClass",
    "BatchOutcome",
    "BatchState",
    "DriftChunk",
    "DriftRun",
    "DriftRunState",
    "DriftSnapshot",
    "DriftStatus",
    "ImportState",
    "ModelPortfolio",
    "PositionImport",
    "Price",
    "Proposal",
    "ProposalBatch",
    "ProposalBatchItem",
    "ProposalMode",
    "ProposalState",
    "ProposedTrade",
    "ReplacedLot",
    "Security",
    "SecurityType",
    "Target",
    "TargetEquivalent",
    "TaxLot",
    "validate_target_weights",
]
