"""ConvolutionInputGenerator: the sliding-window generator (im2col) in front of a convolution's
MVAU, SIMD channels per cycle, through a line buffer of ``2 * kh`` image rows."""

import numpy as np

from finnflow.datatypes import as_int
from finnflow.errors import UnsupportedOpError
from finnflow.hw.base import bram18_count, lutram_luts
from finnflow.hw.image import ImageLayer, counter_bits

# ram_style "auto": block RAM for a buffer deeper than a LUT RAM that holds at least this much
AUTO_BRAM_BITS = 4096


class ConvolutionInputGenerator(ImageLayer):
    """Input [N, H, W, C] (channels last, unpadded: an FMPadding node precedes a padded
    convolution) -> output [N, OH, OW, kh*kw*C], OH = (H - kh) // sh + 1: each output pixel's
    window with its elements in (ky, kx, c) order, c fastest, as qonnx's Im2Col lays it out, so
    an MVAU with weights ``W.transpose(2, 3, 1, 0).reshape(kh*kw*C, Cout)`` follows it."""

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "ConvKernelDim": ("ints", True, []),
            "IFMChannels": ("i", True, 0),
            "IFMDim": ("ints", True, []),
            "OFMDim": ("ints", True, []),
            "Stride": ("ints", True, [1, 1]),
            "Dilation": ("ints", False, [1, 1]),
            "SIMD": ("i", True, 1),
            "depthwise": ("i", False, 0, {0, 1}),
            "ram_style": ("s", False, "auto", {"auto", "block", "distributed"}),
        }

    def get_folding_params(self):
        return {"SIMD": "IFMChannels"}

    def get_folding_attrs(self):
        return ("SIMD", "ram_style")

    def geometry(self) -> tuple[int, int, int, int, int, int, int, int]:
        """(H, W, kh, kw, sh, sw, OH, OW)."""
        h, w = self.get_nodeattr("IFMDim")
        kh, kw = self.get_nodeattr("ConvKernelDim")
        sh, sw = self.get_nodeattr("Stride")
        return h, w, kh, kw, sh, sw, (h - kh) // max(sh, 1) + 1, (w - kw) // max(sw, 1) + 1

    def check_supported(self) -> None:
        """Plain windows (no dilation, not depthwise) that fit the image, OFMDim as they give."""
        super().check_supported()
        name = self.onnx_node.name
        h, w, kh, kw, sh, sw, oh, ow = self.geometry()
        if self.get_nodeattr("depthwise") or list(self.get_nodeattr("Dilation")) != [1, 1]:
            raise UnsupportedOpError(
                f"{name}: only depthwise=0 and Dilation=[1, 1] sliding windows are supported"
            )
        if min(kh, kw, sh, sw) < 1 or kh > h or kw > w:
            raise UnsupportedOpError(
                f"{name}: kernel {[kh, kw]} and stride {[sh, sw]} do not fit the {[h, w]} image"
            )
        if list(self.get_nodeattr("OFMDim")) != [oh, ow]:
            raise UnsupportedOpError(
                f"{name}: OFMDim={list(self.get_nodeattr('OFMDim'))}, but a {[kh, kw]} kernel at "
                f"stride {[sh, sw]} over a {[h, w]} image gives {[oh, ow]}"
            )

    def get_folded_input_shape(self):
        h, w = self.get_nodeattr("IFMDim")
        return self.image_shape(h, w, self.get_nodeattr("IFMChannels"), self.get_nodeattr("SIMD"))

    def get_folded_output_shape(self):
        *_, kh, kw, _, _, oh, ow = self.geometry()
        c = kh * kw * self.get_nodeattr("IFMChannels")
        return self.image_shape(oh, ow, c, self.get_nodeattr("SIMD"))

    def execute_node(self, context, graph):
        self.check_supported()
        node = self.onnx_node
        h, w, kh, kw, sh, sw, oh, ow = self.geometry()
        c = self.get_nodeattr("IFMChannels")
        x = context[node.input[0]]
        img = as_int(x).reshape(-1, h, w, c)
        rows = (np.arange(oh) * sh)[:, None] + np.arange(kh)  # [oh, kh]
        cols = (np.arange(ow) * sw)[:, None] + np.arange(kw)  # [ow, kw]
        windows = img[:, rows[:, None, :, None], cols[None, :, None, :], :]
        out = windows.reshape(len(img), oh, ow, kh * kw * c)
        context[node.output[0]] = out.astype(x.dtype)

    def get_exp_cycles(self) -> int:
        """Input or output words per image, whichever are more: the buffer holds the next
        image's first kh rows beside the current image's last kh, so neither side waits for the
        other in steady state."""
        h, w, kh, kw, _, _, oh, ow = self.geometry()
        cf = self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        return max(h * w, oh * ow * kh * kw) * cf * self.num_vectors()

    def buffer_rows(self) -> int:
        """Image rows the line buffer holds: the kh rows the windows of an output row read and
        kh more, which load meanwhile (the next output row's or the next image's)."""
        return 2 * self.get_nodeattr("ConvKernelDim")[0]

    def buffer_memory(self) -> tuple[int, int]:
        """(width, depth) of the line buffer: one stream word per entry."""
        w = self.get_nodeattr("IFMDim")[1]
        words = w * self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        return self.get_instream_width(), self.buffer_rows() * words

    def uses_bram(self) -> bool:
        """``block``, or ``auto`` for a buffer deeper than 64 words and of at least 4 Kbit."""
        style = self.get_nodeattr("ram_style")
        width, depth = self.buffer_memory()
        return style == "block" or (
            style == "auto" and depth > 64 and width * depth >= AUTO_BRAM_BITS
        )

    def counter_bits(self) -> int:
        """Register bits of the RTL's (``finnflow_swg``) position counters and pointers."""
        h, w, kh, kw, sh, _, oh, ow = self.geometry()
        cf = self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        _, depth = self.buffer_memory()
        address, row = counter_bits(depth), counter_bits(w * cf)
        writer = counter_bits(h) + counter_bits(sh) + 2 + row + address
        reader = sum(counter_bits(n) for n in (kw * cf, kh, ow, oh)) + 2 * row
        return writer + reader + 2 * address + counter_bits(self.buffer_rows() + 1) + 1

    def resource_features(self, resource):
        """The line buffer (LUT RAM unless in block RAM) with its read register, the output
        slice, and the counters, pointers and address adders."""
        width, depth = self.buffer_memory()
        bram = self.uses_bram()
        control = self.counter_bits()
        if resource == "ff":
            return {
                "read_register": 0 if bram else width,
                "output_slice": 2 * width,
                "control": control,
                "constant": 1,
            }
        memory, mux = (0, 0) if bram else lutram_luts(width, depth)
        return {
            "memory": memory,
            "memory_mux": mux,
            "output_mux": width,
            "control": control,
            "constant": 1,
        }

    def bram_estimation(self) -> int:
        return bram18_count(*self.buffer_memory()) if self.uses_bram() else 0
