"""Thresholding: standalone multi-threshold activation, PE channels per cycle."""

import math

import numpy as np

from finnflow.datatypes import as_int
from finnflow.hw.base import HWCustomOp, lutram_count


class Thresholding(HWCustomOp):
    """y = ActVal + #(x >= T[c]) per channel c; inputs ``in0`` [..., NumChannels], thresholds
    [NumChannels, numSteps]."""

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "NumChannels": ("i", True, 0),
            "PE": ("i", True, 1),
            "numSteps": ("i", True, 1),
            "weightDataType": ("s", True, ""),
            "ActVal": ("i", False, 0),
            "ram_style": ("s", False, "distributed", {"distributed", "block"}),
        }

    def get_normal_output_shape(self):
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("NumChannels")]

    def frame_elements(self, side: str) -> int:
        return self.get_nodeattr("NumChannels")

    def verify_folding(self):
        self.check_divides("PE", "NumChannels")

    def execute_node(self, context, graph):
        node = self.onnx_node
        x = as_int(context[node.input[0]])
        t = as_int(context[node.input[1]])
        out = (x[..., None] >= t).sum(axis=-1) + self.get_nodeattr("ActVal")
        context[node.output[0]] = out.astype(np.float32)

    def get_exp_cycles(self) -> int:
        return self.get_nodeattr("NumChannels") // self.get_nodeattr("PE") * self.num_vectors()

    def lut_estimation(self) -> int:
        pe, steps = self.get_nodeattr("PE"), self.get_nodeattr("numSteps")
        tbits = self.dtype("weightDataType").bitwidth()
        depth = self.get_nodeattr("NumChannels") // pe
        return int(math.ceil(pe * steps * tbits + lutram_count(pe * steps * tbits, depth) + 30))
