"""Brevitas networks, parameterized by precision, input bits and width."""

from finnflow.networks.fc import FC, TOPOLOGIES, build_fc, hidden_sizes
from finnflow.networks.precision import Precision, check_input_bits, parse_precision

__all__ = [
    "FC",
    "TOPOLOGIES",
    "Precision",
    "build_fc",
    "check_input_bits",
    "hidden_sizes",
    "parse_precision",
]
