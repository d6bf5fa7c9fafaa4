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
    "ACTIVE_RUN_STATES",
    "HUNDRED",
    "AssetClass",
    "DriftChunk",
    "DriftRun",
    "DriftRunState",
    "DriftSnapshot",
    "DriftStatus",
    "ModelPortfolio",
    "Price",
    "Proposal",
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
