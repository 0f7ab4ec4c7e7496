"""LabelSelect: indices of the K largest of ``Labels`` values, PE values per cycle."""

import math

import numpy as np

from finnflow.datatypes import as_int
from finnflow.hw.base import HWCustomOp


class LabelSelect(HWCustomOp):
    """Top-K indices in descending order of value; ties go to the lower index (numpy argmax).
    The output stream carries one index per word."""

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "Labels": ("i", True, 0),
            "PE": ("i", True, 1),
            "K": ("i", True, 1),
        }

    def get_folding_params(self):
        return {"PE": "Labels"}

    def get_folded_input_shape(self):
        pe = self.get_nodeattr("PE")
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("Labels") // pe, pe]

    def get_folded_output_shape(self):
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("K"), 1]

    def datapath_lanes(self) -> int:
        return self.get_nodeattr("PE")

    def execute_node(self, context, graph):
        node = self.onnx_node
        x = as_int(context[node.input[0]])
        order = np.argsort(-x, axis=-1, kind="stable")[..., : self.get_nodeattr("K")]
        context[node.output[0]] = order.astype(np.float32)

    def get_exp_cycles(self) -> int:
        return self.get_nodeattr("Labels") // self.get_nodeattr("PE") * self.num_vectors()

    def lut_estimation(self) -> int:
        pe, k = self.get_nodeattr("PE"), self.get_nodeattr("K")
        ibits = self.get_input_datatype().bitwidth()
        obits = self.get_output_datatype().bitwidth()
        return int(math.ceil(pe * k * (2 * ibits + obits) + 30))
