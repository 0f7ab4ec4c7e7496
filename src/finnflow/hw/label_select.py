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

    def resource_features(self, resource):
        """The PE-way compare against the running maximum and the index registers."""
        pe = self.get_nodeattr("PE")
        ibits = self.get_input_datatype().bitwidth()
        obits = self.get_output_datatype().bitwidth()
        if resource == "ff":
            return {"best": ibits + obits, "output_slice": obits, "constant": 1}
        labels = self.get_nodeattr("Labels")
        words = labels // pe
        return {
            "comparator_bits": pe * ibits,
            "index_bits": pe * obits,
            # lane indices are word base + lane: adders, unless one word makes them constants
            "index_adder_bits": (pe - 1) * obits if words > 1 else 0,
            "label_counter": max(1, math.ceil(math.log2(labels))),
            "constant": 1,
        }
