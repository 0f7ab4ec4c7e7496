"""Brevitas networks, parameterized by precision, input bits and width."""

from finnflow.networks.cnv import CNV_HIDDEN, CNV_LAYERS, build_cnv
from finnflow.networks.conv import Conv, ConvNet, MaxPool, build_conv, parse_layers
from finnflow.networks.family import NETWORKS, build_network, check_network, network_kind
from finnflow.networks.fc import FC, TOPOLOGIES, build_fc, hidden_sizes
from finnflow.networks.precision import Precision, check_input_bits, parse_precision

__all__ = [
    "CNV_HIDDEN",
    "CNV_LAYERS",
    "FC",
    "NETWORKS",
    "TOPOLOGIES",
    "Conv",
    "ConvNet",
    "MaxPool",
    "Precision",
    "build_cnv",
    "build_conv",
    "build_fc",
    "build_network",
    "check_input_bits",
    "check_network",
    "hidden_sizes",
    "network_kind",
    "parse_layers",
    "parse_precision",
]
