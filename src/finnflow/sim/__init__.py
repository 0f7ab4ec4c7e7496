"""Cycle-accurate simulation with Verilator: a generic AXI-Stream testbench (``verilator``) and
the stitched-design rtlsim checked against the Python execution (``rtlsim``)."""

from finnflow.sim.verilator import (
    SimResult,
    SimulationCycleLimit,
    SimulationDeadlock,
    SimulationError,
    build,
    simulate,
)

__all__ = [
    "SimResult",
    "SimulationCycleLimit",
    "SimulationDeadlock",
    "SimulationError",
    "build",
    "simulate",
]
