"""StreamingMaxPool: max pooling over kh x kw windows at stride kh x kw (FINN's convention),
PE channels per cycle."""

from finnflow.datatypes import as_int
from finnflow.errors import UnsupportedOpError
from finnflow.hw.base import lutram_luts
from finnflow.hw.image import ImageLayer, counter_bits


class StreamingMaxPool(ImageLayer):
    """Input [N, H, W, C] -> output [N, H // kh, W // kw, C], the largest value of each window
    as the datatype orders its values (signed or not). Floor mode, as PyTorch's MaxPool2d by
    default: rows and columns beyond the last whole window are consumed and dropped."""

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "ImgDim": ("ints", True, []),
            "PoolDim": ("ints", True, []),
            "NumChannels": ("i", True, 0),
            "PE": ("i", True, 1),
            "CeilMode": ("i", False, 0, {0, 1}),
        }

    def get_folding_params(self):
        return {"PE": "NumChannels"}

    def geometry(self) -> tuple[int, int, int, int, int, int]:
        """(H, W, kh, kw, OH, OW)."""
        h, w = self.get_nodeattr("ImgDim")
        kh, kw = self.get_nodeattr("PoolDim")
        return h, w, kh, kw, h // max(kh, 1), w // max(kw, 1)

    def check_supported(self) -> None:
        """Floor mode, with windows that fit the image."""
        super().check_supported()
        name = self.onnx_node.name
        h, w, kh, kw, _, _ = self.geometry()
        if self.get_nodeattr("CeilMode"):
            raise UnsupportedOpError(f"{name}: only CeilMode=0 (floor) max pooling is supported")
        if min(kh, kw) < 1 or kh > h or kw > w:
            raise UnsupportedOpError(f"{name}: PoolDim {[kh, kw]} does not fit the {[h, w]} image")

    def get_folded_input_shape(self):
        h, w, *_ = self.geometry()
        return self.image_shape(h, w, self.get_nodeattr("NumChannels"), self.get_nodeattr("PE"))

    def get_folded_output_shape(self):
        *_, oh, ow = self.geometry()
        return self.image_shape(oh, ow, self.get_nodeattr("NumChannels"), self.get_nodeattr("PE"))

    def execute_node(self, context, graph):
        self.check_supported()
        node = self.onnx_node
        h, w, kh, kw, oh, ow = self.geometry()
        c = self.get_nodeattr("NumChannels")
        x = context[node.input[0]]
        img = as_int(x).reshape(-1, h, w, c)[:, : oh * kh, : ow * kw]
        out = img.reshape(len(img), oh, kh, ow, kw, c).max(axis=(2, 4))
        context[node.output[0]] = out.astype(x.dtype)

    def get_exp_cycles(self) -> int:
        """One input word per cycle: the input words of an image (never fewer than its output
        words)."""
        h, w, *_ = self.geometry()
        cf = self.get_nodeattr("NumChannels") // self.get_nodeattr("PE")
        return h * w * cf * self.num_vectors()

    def resource_features(self, resource):
        """The RTL's (``finnflow_maxpool``) buffer of one output row's running maxima (LUT RAM),
        each lane's compare and selects (a signed compare costs more), the data registers of the
        two stages and the output slice, and the position counters."""
        h, w, kh, kw, _, ow = self.geometry()
        dt = self.get_input_datatype()
        pe, bits = self.get_nodeattr("PE"), dt.bitwidth()
        cf = self.get_nodeattr("NumChannels") // pe
        width, depth = pe * bits, ow * cf
        control = sum(counter_bits(n) for n in (cf, w, h, kw, kh)) + 2 * counter_bits(depth) + 2
        if resource == "ff":
            # input, buffer word and last write-back registers; the output slice's two
            return {"data_registers": 5 * width, "control": control, "constant": 1}
        memory, mux = lutram_luts(width, depth)
        return {
            "buffer": memory,
            "buffer_mux": mux,
            "lanes": pe,
            "lane_bits": width,
            "signed_lane_bits": width if dt.signed() else 0,
            "control": control,
            "constant": 1,
        }
