from .batches import (
    ACTIVE_BATCH_STATES,
    BatchOutcome,
    BatchState,
    ProposalBatch,
    ProposalBatchItem,
)
from .drift import (
    ACTIVE_RUN_STATES,
    DriftChunk,
    DriftRun,
    DriftRunState,
    DriftSnapshot,
    DriftStatus,
)
from .holdings import TaxLot
from .proposals import Proposal, ProposalMode, ProposalState, ProposedTrade
from .reference import AssetClass, Price, Security, SecurityType
from .targets import HUNDRED, ModelPortfolio, Target, TargetEquivalent, validate_target_weights

__all__ = [
    "ACTIVE_BATCH_STATES",
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
    "ModelPortfolio",
    "Price",
    "Proposal",
    "ProposalBatch",
    "ProposalBatchItem",
    "ProposalMode",
    "ProposalState",
    "ProposedTrade",
    "Security",
    "SecurityType",
    "Target",
    "TargetEquivalent",
    "TaxLot",
    "validate_target_weights",
]
