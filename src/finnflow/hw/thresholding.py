"""Thresholding: standalone multi-threshold activation, PE channels per cycle."""

import math

import numpy as np

from finnflow.datatypes import as_int
from finnflow.hw.base import HWCustomOp, bram18_count, datatype, rom_luts


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

    def get_folding_params(self):
        return {"PE": "NumChannels"}

    def get_folding_attrs(self):
        return ("PE", "ram_style")

    def get_folded_input_shape(self):
        pe = self.get_nodeattr("PE")
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("NumChannels") // pe, pe]

    def get_folded_output_shape(self):
        return self.get_folded_input_shape()

    def execute_node(self, context, graph):
        node = self.onnx_node
        x = as_int(context[node.input[0]])
        t = as_int(context[node.input[1]])
        out = (x[..., None] >= t).sum(axis=-1) + self.get_nodeattr("ActVal")
        context[node.output[0]] = out.astype(np.float32)

    def get_hw_compatible_threshold_tensor(self, t: np.ndarray) -> np.ndarray:
        """Thresholds [NumChannels, steps] as memory words [NumChannels / PE, PE * steps]:
        word ``cf`` holds T[channel cf*PE + p][step k] in lane ``p * steps + k``."""
        t = np.asarray(t).astype(np.int64)
        pe = self.get_nodeattr("PE")
        return t.reshape(self.get_nodeattr("NumChannels") // pe, pe * t.shape[1])

    def get_memory_images(self, model):
        t = model.get_initializer(self.onnx_node.input[1])
        return {"thresholds": self.get_hw_compatible_threshold_tensor(t)}

    def get_exp_cycles(self) -> int:
        return self.get_nodeattr("NumChannels") // self.get_nodeattr("PE") * self.num_vectors()

    def threshold_bits(self) -> int:
        """Width of a stored threshold: the input's range or the thresholds', signed."""
        tdt = datatype(self.get_nodeattr("weightDataType"))
        return max(self.get_input_datatype().bitwidth(), tdt.bitwidth()) + 1

    def resource_features(self, resource):
        """Comparators, the threshold memory (LUT ROM unless in block RAM), registers. With one
        channel fold the thresholds are constants: an output is then a function of the input
        alone, one LUT per output bit where the input has at most 6 bits, else comparators
        against constants."""
        pe, steps = self.get_nodeattr("PE"), self.get_nodeattr("numSteps")
        ibits, tbits = self.get_input_datatype().bitwidth(), self.threshold_bits()
        obits = self.get_output_datatype().bitwidth()
        depth = self.get_nodeattr("NumChannels") // pe
        bram = self.get_nodeattr("ram_style") == "block"
        comparators = pe * steps * tbits
        kept = self.rom_bits(1, self.get_hw_compatible_threshold_tensor, tbits, comparators, depth)
        if resource == "ff":
            return {
                "input_register": pe * ibits,
                "threshold_register": 0 if bram or depth == 1 else kept,
                "output_slice": pe * obits,
                "control": max(1, math.ceil(math.log2(depth))) if depth > 1 else 0,
                "constant": 1,
            }
        if depth == 1:
            small = ibits <= 6
            return {
                "lookup_bits": pe * obits if small else 0,
                "constant_comparator_bits": 0 if small else pe * steps * ibits,
                "threshold_counts": 0 if small else pe * steps,
                "count_bits": 0 if small else pe * steps * obits,
                "output_slice": pe * obits,
                "constant": 1,
            }
        return {
            "comparator_bits": comparators,
            "threshold_counts": pe * steps,
            "count_bits": pe * steps * obits,
            "threshold_rom": 0 if bram else rom_luts(kept, depth),
            "output_slice": pe * obits,
            "constant": 1,
        }

    def bram_estimation(self) -> int:
        depth = self.get_nodeattr("NumChannels") // self.get_nodeattr("PE")
        if self.get_nodeattr("ram_style") != "block" or depth == 1:
            return 0
        pe = self.get_nodeattr("PE")
        width = pe * self.get_nodeattr("numSteps") * self.threshold_bits()
        return bram18_count(width, depth)
