"""LabelSelect: indices of the K largest of ``Labels`` values, PE values per cycle."""

import math

import numpy as np

from finnflow.datatypes import as_int
from finnflow.hw.base import HWCustomOp


class LabelSelect(HWCustomOp):
    """Top-K indices in descending order of value; ties go to the lower index (numpy argmax)."""

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "Labels": ("i", True, 0),
            "PE": ("i", True, 1),
            "K": ("i", True, 1),
        }

    def get_normal_output_shape(self):
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("K")]

    def frame_elements(self, side: str) -> int:
        return self.get_nodeattr("Labels" if side == "in" else "K")

    def verify_folding(self):
        self.check_divides("PE", "Labels")

    def execute_node(self, context, graph):
        node = self.onnx_node
        x = as_int(context[node.input[0]])
        order = np.argsort(-x, axis=-1, kind="stable")[..., : self.get_nodeattr("K")]
        context[node.output[0]] = order.astype(np.float32)

    def get_exp_cycles(self) -> int:
        return self.get_nodeattr("Labels") // self.get_nodeattr("PE") * self.num_vectors()

    def lut_estimation(self) -> int:
        pe, k = self.get_nodeattr("PE"), self.get_nodeattr("K")
        ibits = self.dtype("inputDataType").bitwidth()
        obits = self.dtype("outputDataType").bitwidth()
        return int(math.ceil(pe * k * (2 * ibits + obits) + 30))
