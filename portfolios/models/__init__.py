from .holdings import TaxLot
from .reference import AssetClass, Price, Security, SecurityType
from .targets import HUNDRED, ModelPortfolio, Target, TargetEquivalent, validate_target_weights

__all__ = [
    "HUNDRED",
    "AssetClass",
    "ModelPortfolio",
    "Price",
    "Security",
    "SecurityType",
    "Target",
    "TargetEquivalent",
    "TaxLot",
    "validate_target_weights",
]
