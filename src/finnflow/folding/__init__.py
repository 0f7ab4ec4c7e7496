"""Folding: PE/SIMD per layer, FINN-compatible folding JSON in and out."""

from finnflow.folding.config import (
    ApplyFolding,
    SetFolding,
    folding_config,
    load_folding,
    target_cycles,
    verify_folding,
)
from finnflow.folding.optimize import (
    PLANNED_FIFO_DEPTH,
    FoldingPlan,
    FoldingSearch,
    maximize_with_sizing,
    optimize_folding,
)

__all__ = [
    "ApplyFolding",
    "FoldingPlan",
    "FoldingSearch",
    "SetFolding",
    "folding_config",
    "load_folding",
    "optimize_folding",
    "maximize_with_sizing",
    "PLANNED_FIFO_DEPTH",
    "target_cycles",
    "verify_folding",
]
