"""Base class of finnflow's hardware layers (qonnx custom ops in the ``finnflow.hw`` domain).

A layer owns its attributes (FINN's names), shape and datatype inference, bit-exact execution,
expected cycles and a first analytical resource estimate for its folding.
"""

import math

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp

from finnflow.errors import FoldingError

DOMAIN = "finnflow.hw"


def is_hw_node(node) -> bool:
    return node.domain == DOMAIN


def hw_nodes(model) -> list:
    """The hardware-layer nodes of a model, in graph order."""
    return [n for n in model.graph.node if is_hw_node(n)]


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def bram18_count(width: int, depth: int) -> int:
    """BRAM18 primitives for a width x depth memory (aspect ratios 512x36 ... 16Kx1)."""
    if width <= 0 or depth <= 0:
        return 0
    for max_depth, bits in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2)):
        if depth <= max_depth:
            return math.ceil(width / bits)
    return math.ceil(width / 1) * math.ceil(depth / 16384)


def lutram_count(width: int, depth: int) -> int:
    """LUTs for a width x depth distributed RAM built from 64x1 LUT RAMs."""
    return math.ceil(depth / 64) * width if width > 0 and depth > 0 else 0


class HWCustomOp(CustomOp):
    """Shared attributes and helpers; subclasses define shapes, execution and estimates."""

    def get_nodeattr_types(self):
        return {
            "inputDataType": ("s", True, ""),
            "outputDataType": ("s", True, ""),
            "numInputVectors": ("ints", False, [1]),
            "backend": ("s", False, "fpgadataflow"),
        }

    def dtype(self, attr: str) -> DataType:
        return DataType[self.get_nodeattr(attr)]

    def num_vectors(self) -> int:
        return int(np.prod(self.get_nodeattr("numInputVectors")))

    def infer_node_datatype(self, model):
        model.set_tensor_datatype(self.onnx_node.output[0], self.dtype("outputDataType"))

    def make_shape_compatible_op(self, model):
        return self.make_const_shape_op(self.get_normal_output_shape())

    def check_divides(self, attr: str, value_attr: str) -> None:
        """``attr`` (PE or SIMD) must divide the dimension ``value_attr`` (MH, MW, ...)."""
        value, total = self.get_nodeattr(attr), self.get_nodeattr(value_attr)
        if value < 1 or total % value != 0:
            raise FoldingError(
                f"{self.onnx_node.name}: {attr}={value} does not divide {value_attr}={total}; "
                f"valid {attr} values are {divisors(total)}"
            )

    def verify_node(self):
        try:
            self.verify_folding()
        except FoldingError as e:
            return [str(e)]
        return []

    # subclasses implement:
    def get_normal_output_shape(self) -> list[int]:
        raise NotImplementedError

    def frame_elements(self, side: str) -> int:
        """Elements per frame (one input vector) on the ``"in"`` or ``"out"`` stream."""
        raise NotImplementedError

    def input_lanes(self) -> int:
        """Elements per input stream word."""
        return self.get_nodeattr("PE")

    def datapath_lanes(self) -> int:
        """Elements processed per cycle (PE x SIMD for an MVAU): a measure of design size."""
        return self.get_nodeattr("PE")

    def verify_folding(self) -> None:
        raise NotImplementedError

    def get_exp_cycles(self) -> int:
        raise NotImplementedError

    def lut_estimation(self) -> int:
        raise NotImplementedError

    def bram_estimation(self) -> int:
        return 0

    def dsp_estimation(self) -> int:
        return 0
