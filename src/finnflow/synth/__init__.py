"""Synthesis of the generated RTL with open-source Yosys (``synth_xilinx``): measured LUT, FF,
carry, BRAM, URAM and DSP counts, cached by the content of the design."""

from finnflow.synth.yosys import (
    YOSYS_PINNED,
    SynthResult,
    family_for,
    parse_stat,
    synthesize,
    synthesize_many,
    synthesize_node,
)

__all__ = [
    "YOSYS_PINNED",
    "SynthResult",
    "family_for",
    "parse_stat",
    "synthesize",
    "synthesize_many",
    "synthesize_node",
]
