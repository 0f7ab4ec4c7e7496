"""Stitching nodes between hardware layers: StreamingFIFO and StreamingDataWidthConverter, with
FINN's names and attributes. Both pass data through unchanged; they exist in the graph so that
the estimate, the folding config (FIFO depths) and the RTL see them."""

import math

from qonnx.core.datatype import DataType

from finnflow.errors import FoldingError
from finnflow.hw.base import HWCustomOp, bram18_count, datatype, lutram_luts

FIFO_BRAM_DEPTH = 256  # ram_style "auto": deeper FIFOs go to block RAM


class _PassThrough(HWCustomOp):
    def get_input_datatype(self) -> DataType:
        return datatype(self.get_nodeattr("dataType"))

    def get_output_datatype(self) -> DataType:
        return self.get_input_datatype()

    def execute_node(self, context, graph):
        node = self.onnx_node
        context[node.output[0]] = context[node.input[0]]

    def get_exp_cycles(self) -> int:
        return max(self.get_number_input_values(), self.get_number_output_values())

    def datapath_lanes(self) -> int:
        return 0


class StreamingFIFO(_PassThrough):
    """A first-in first-out buffer of ``depth`` stream words."""

    def get_nodeattr_types(self):
        return {
            "backend": ("s", False, "fpgadataflow"),
            "depth": ("i", True, 2),
            "folded_shape": ("ints", True, []),
            "normal_shape": ("ints", True, []),
            "dataType": ("s", True, ""),
            "impl_style": ("s", False, "rtl", {"rtl", "vivado"}),
            "ram_style": ("s", False, "auto", {"auto", "block", "distributed", "ultra"}),
        }

    def get_folding_attrs(self):
        return ("depth", "ram_style", "impl_style")

    def verify_folding(self):
        if self.get_nodeattr("depth") < 2:
            raise FoldingError(
                f"{self.onnx_node.name}: depth={self.get_nodeattr('depth')}; a FIFO holds at "
                "least 2 words"
            )

    def set_batch_size(self, batch: int) -> None:
        for attr in ("folded_shape", "normal_shape"):
            self.set_nodeattr(attr, [batch, *self.get_nodeattr(attr)[1:]])

    def get_folded_input_shape(self):
        return list(self.get_nodeattr("folded_shape"))

    def get_folded_output_shape(self):
        return self.get_folded_input_shape()

    def uses_bram(self) -> bool:
        style = self.get_nodeattr("ram_style")
        return style in ("block", "ultra") or (
            style == "auto" and self.get_nodeattr("depth") > FIFO_BRAM_DEPTH
        )

    def resource_features(self, resource):
        """The memory (LUT RAM unless in block RAM), the output register (block RAM's own) and
        the pointers."""
        depth, width = self.get_nodeattr("depth"), self.get_instream_width()
        pointers = 3 * max(1, math.ceil(math.log2(depth + 1)))
        if resource == "ff":
            out = 0 if self.uses_bram() else width
            return {"output_register": out, "pointers": pointers, "constant": 1}
        memory, mux = (0, 0) if self.uses_bram() else lutram_luts(width, depth)
        return {
            "memory": memory,
            "memory_mux": mux,
            "output_mux": width,
            "pointers": pointers,
            "constant": 1,
        }

    def bram_estimation(self) -> int:
        if not self.uses_bram():
            return 0
        return bram18_count(self.get_instream_width(), self.get_nodeattr("depth"))


class StreamingDataWidthConverter(_PassThrough):
    """Regroups the elements of a stream from ``inWidth``-bit to ``outWidth``-bit words."""

    def get_nodeattr_types(self):
        return {
            "backend": ("s", False, "fpgadataflow"),
            "shape": ("ints", True, []),
            "inWidth": ("i", True, 0),
            "outWidth": ("i", True, 0),
            "dataType": ("s", True, ""),
        }

    def get_folding_attrs(self):
        return ("inWidth", "outWidth")

    def _lanes(self, attr: str) -> int:
        return self.get_nodeattr(attr) // self.get_input_datatype().bitwidth()

    def verify_folding(self):
        bits = self.get_input_datatype().bitwidth()
        elements = self.get_nodeattr("shape")[-1]
        for attr in ("inWidth", "outWidth"):
            width = self.get_nodeattr(attr)
            if width < bits or width % bits or elements % (width // bits):
                raise FoldingError(
                    f"{self.onnx_node.name}: {attr}={width} is not a whole number of "
                    f"{bits}-bit elements dividing the {elements} elements of a vector"
                )

    def set_batch_size(self, batch: int) -> None:
        self.set_nodeattr("shape", [batch, *self.get_nodeattr("shape")[1:]])

    def get_exp_cycles(self) -> int:
        """Words in or out, whichever are more; where neither width divides the other, the words
        of their greatest common width, through which the RTL converts."""
        inw, outw = self.get_nodeattr("inWidth"), self.get_nodeattr("outWidth")
        cycles = super().get_exp_cycles()
        if inw % outw and outw % inw:
            cycles = max(cycles, self.get_number_input_values() * inw // math.gcd(inw, outw))
        return cycles

    def _folded(self, lanes: int) -> list[int]:
        *outer, elements = self.get_nodeattr("shape")
        return [*outer, elements // lanes, lanes]

    def get_folded_input_shape(self):
        return self._folded(self._lanes("inWidth"))

    def get_folded_output_shape(self):
        return self._folded(self._lanes("outWidth"))

    def resource_features(self, resource):
        """Widening: a shift register of the output width; narrowing: the input word shifted
        out through a multiplexer; both through the greatest common width where neither width
        divides the other; then a registered output slice."""
        inw, outw = self.get_nodeattr("inWidth"), self.get_nodeattr("outWidth")
        steps = [(inw, outw)]
        if inw % outw and outw % inw:
            mid = math.gcd(inw, outw)
            steps = [(inw, mid), (mid, outw)]
        up = sum(o for i, o in steps if o > i)
        down = [(i, i // o) for i, o in steps if i > o]
        # a shift by a ratio that is no power of two: Yosys builds a multiplexer per piece
        even = sum(i for i, k in down if k & (k - 1) == 0)
        odd = sum(i for i, k in down if k & (k - 1))
        out = sum(o for _, o in steps)
        return {
            "widening_bits": up,
            "narrowing_bits": even,
            "narrowing_bits_odd_ratio": odd,
            "output_slice": out,
            "constant": 1,
        }
