"""Folding: PE/SIMD per layer, FINN-compatible folding JSON in and out."""

from finnflow.folding.config import (
    ApplyFolding,
    SetFolding,
    folding_config,
    load_folding,
    target_cycles,
    verify_folding,
)
from finnflow.folding.optimize import FoldingPlan, FoldingSearch, optimize_folding

__all__ = [
    "ApplyFolding",
    "FoldingPlan",
    "FoldingSearch",
    "SetFolding",
    "folding_config",
    "load_folding",
    "optimize_folding",
    "target_cycles",
    "verify_folding",
]
