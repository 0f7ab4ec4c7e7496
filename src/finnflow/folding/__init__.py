"""Folding: PE/SIMD per layer, FINN-compatible folding JSON in and out."""

from finnflow.folding.config import (
    ApplyFolding,
    SetFolding,
    folding_config,
    load_folding,
    target_cycles,
    verify_folding,
)

__all__ = [
    "ApplyFolding",
    "SetFolding",
    "folding_config",
    "load_folding",
    "target_cycles",
    "verify_folding",
]
