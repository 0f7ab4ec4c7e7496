"""FMPadding: a zero border around images, SIMD channels per cycle (before a padded
convolution's sliding window)."""

import numpy as np

from finnflow.datatypes import as_int
from finnflow.errors import UnsupportedOpError
from finnflow.hw.image import ImageLayer, counter_bits


class FMPadding(ImageLayer):
    """Input [N, H, W, C] -> output [N, top + H + bottom, left + W + right, C], zeros in the
    border; ``Padding`` is [top, left, bottom, right] (FINN's order)."""

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "ImgDim": ("ints", True, []),
            "Padding": ("ints", True, [0, 0, 0, 0]),
            "NumChannels": ("i", True, 0),
            "SIMD": ("i", True, 1),
        }

    def get_folding_params(self):
        return {"SIMD": "NumChannels"}

    def padded_dims(self) -> tuple[int, int]:
        h, w = self.get_nodeattr("ImgDim")
        top, left, bottom, right = self.get_nodeattr("Padding")
        return top + h + bottom, left + w + right

    def check_supported(self) -> None:
        """Four non-negative padding amounts and a zero the datatype holds."""
        super().check_supported()
        name = self.onnx_node.name
        pad = list(self.get_nodeattr("Padding"))
        if len(pad) != 4 or min(pad) < 0:
            raise UnsupportedOpError(
                f"{name}: Padding={pad}; give four amounts [top, left, bottom, right], each >= 0"
            )
        if not self.get_input_datatype().allowed(0):
            raise UnsupportedOpError(
                f"{name}: {self.get_nodeattr('inputDataType')} has no zero to pad with"
            )

    def get_folded_input_shape(self):
        h, w = self.get_nodeattr("ImgDim")
        simd = self.get_nodeattr("SIMD")
        return self.image_shape(h, w, self.get_nodeattr("NumChannels"), simd)

    def get_folded_output_shape(self):
        oh, ow = self.padded_dims()
        return self.image_shape(oh, ow, self.get_nodeattr("NumChannels"), self.get_nodeattr("SIMD"))

    def execute_node(self, context, graph):
        self.check_supported()
        node = self.onnx_node
        h, w = self.get_nodeattr("ImgDim")
        top, left, bottom, right = self.get_nodeattr("Padding")
        x = context[node.input[0]]
        img = as_int(x).reshape(-1, h, w, self.get_nodeattr("NumChannels"))
        out = np.pad(img, ((0, 0), (top, bottom), (left, right), (0, 0)))
        context[node.output[0]] = out.astype(x.dtype)

    def get_exp_cycles(self) -> int:
        """One output word per cycle: the output words of an image (never fewer than its input
        words)."""
        oh, ow = self.padded_dims()
        cf = self.get_nodeattr("NumChannels") // self.get_nodeattr("SIMD")
        return oh * ow * cf * self.num_vectors()

    def resource_features(self, resource):
        """The RTL's (``finnflow_fmpadding``) output bits (zero select and the output slice's
        multiplexer and registers) and the position counters."""
        oh, ow = self.padded_dims()
        width = self.get_instream_width()
        cf = self.get_nodeattr("NumChannels") // self.get_nodeattr("SIMD")
        control = counter_bits(cf) + counter_bits(ow) + counter_bits(oh) + 2
        if resource == "ff":
            return {"output_slice": 2 * width, "control": control, "constant": 1}
        return {"output_bits": width, "control": control, "constant": 1}
