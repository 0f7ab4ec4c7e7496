"""RTL simulation helpers (Verilator)."""

from .verilator import (
    SimResult,
    SimulationDeadlock,
    SimulationError,
    ToolNotFoundError,
    build,
    find_verilator,
    pack,
    simulate,
    unpack,
    verilator_version,
)

__all__ = [
    "SimResult",
    "SimulationDeadlock",
    "SimulationError",
    "ToolNotFoundError",
    "build",
    "find_verilator",
    "pack",
    "simulate",
    "unpack",
    "verilator_version",
]
