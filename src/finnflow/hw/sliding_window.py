"""ConvolutionInputGenerator: the sliding-window generator (im2col) in front of a convolution's
MVAU: SIMD channels per cycle through a line buffer of ``2 * kh`` image rows, or, with FINN's
``parallel_window``, a whole window per cycle through ``kh - 1`` rows and a register window."""

import numpy as np

from finnflow.datatypes import as_int
from finnflow.errors import FoldingError, UnsupportedOpError
from finnflow.hw.base import bram18_count, lutram_luts
from finnflow.hw.image import ImageLayer, counter_bits

# ram_style "auto": block RAM for a buffer deeper than a LUT RAM that holds at least this much
AUTO_BRAM_BITS = 4096


class ConvolutionInputGenerator(ImageLayer):
    """Input [N, H, W, C] (channels last, unpadded: an FMPadding node precedes a padded
    convolution) -> output [N, OH, OW, kh*kw*C], OH = (H - kh) // sh + 1: each output pixel's
    window with its elements in (ky, kx, c) order, c fastest, as qonnx's Im2Col lays it out, so
    an MVAU with weights ``W.transpose(2, 3, 1, 0).reshape(kh*kw*C, Cout)`` follows it.

    Stream words: SIMD channels of one window element each (``parallel_window=0``), or, with
    ``parallel_window=1`` (SIMD = IFMChannels), a whole window of kh*kw*C elements in that order,
    element 0 in the LSBs, so that a layer with few channels emits one window per cycle."""

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
            "parallel_window": ("i", False, 0, {0, 1}),
            "ram_style": ("s", False, "auto", {"auto", "block", "distributed"}),
        }

    def get_folding_params(self):
        return {"SIMD": "IFMChannels"}

    def get_folding_attrs(self):
        return ("SIMD", "parallel_window", "ram_style")

    def get_folding_space(self):
        """SIMD, parallel_window and ram_style; ``verify_folding`` rejects the combinations of
        parallel_window 1 with SIMD below IFMChannels, which the optimizer skips."""
        space = super().get_folding_space()
        return {"SIMD": space["SIMD"], "parallel_window": [0, 1], "ram_style": space["ram_style"]}

    def verify_folding(self) -> None:
        """SIMD divides IFMChannels, and equals it for a parallel window."""
        super().verify_folding()
        simd, c = self.get_nodeattr("SIMD"), self.get_nodeattr("IFMChannels")
        if self.parallel() and simd != c:
            raise FoldingError(
                f"{self.onnx_node.name}: parallel_window=1 needs SIMD = IFMChannels = {c} (a word "
                f"holds a whole window), but SIMD={simd}; set SIMD={c} or parallel_window=0"
            )

    def parallel(self) -> bool:
        """Whether a stream word holds a whole window (``parallel_window``)."""
        return bool(self.get_nodeattr("parallel_window"))

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
        return self.image_shape(oh, ow, c, c if self.parallel() else self.get_nodeattr("SIMD"))

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
        other in steady state. A parallel window takes one pixel per cycle and emits a window
        with the pixel that completes it, so an image takes H*W cycles (OH*OW <= H*W windows),
        back to back."""
        h, w, kh, kw, _, _, oh, ow = self.geometry()
        if self.parallel():
            return h * w * self.num_vectors()
        cf = self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        return max(h * w, oh * ow * kh * kw) * cf * self.num_vectors()

    def buffer_rows(self) -> int:
        """Image rows the line buffer holds: the kh rows the windows of an output row read and
        kh more, which load meanwhile (the next output row's or the next image's); kh - 1 for a
        parallel window, whose bottom row is the input."""
        kh = self.get_nodeattr("ConvKernelDim")[0]
        return kh - 1 if self.parallel() else 2 * kh

    def buffer_memory(self) -> tuple[int, int]:
        """(width, depth) of the line buffer: one stream word per entry, or for a parallel
        window one image column of its kh - 1 rows per entry, an entry per column."""
        w = self.get_nodeattr("IFMDim")[1]
        if self.parallel():
            return self.buffer_rows() * self.get_instream_width(), w
        words = w * self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        return self.get_instream_width(), self.buffer_rows() * words

    def has_memory(self) -> bool:
        """Whether the line buffer is a memory: a parallel window over a one-pixel-wide image
        keeps its rows in the read register, and a kernel one row high needs none."""
        width, depth = self.buffer_memory()
        return width > 0 and depth > 1

    def uses_bram(self) -> bool:
        """``block``, or ``auto`` for a buffer deeper than 64 words and of at least 4 Kbit."""
        if not self.has_memory():
            return False
        style = self.get_nodeattr("ram_style")
        width, depth = self.buffer_memory()
        return style == "block" or (
            style == "auto" and depth > 64 and width * depth >= AUTO_BRAM_BITS
        )

    def counter_bits(self) -> int:
        """Register bits of the RTL's (``finnflow_swg``, ``finnflow_swg_parallel``) position
        counters and pointers."""
        h, w, kh, kw, sh, sw, oh, ow = self.geometry()
        if self.parallel():
            # column and row phases, the row counter if rows have phases, the column counter if
            # anything needs it, and three flags (window valid, input slice); a 1x1 kernel at
            # stride 1 emits on every pixel and needs no counter
            cx = counter_bits(max(kw, sw)) if max(kw, sw) > 1 else 0
            cy = counter_bits(max(kh, sh)) if max(kh, sh) > 1 else 0
            y = counter_bits(h) if cy else 0
            x = counter_bits(w) if cx or cy or self.has_memory() else 0
            return x + y + cx + cy + 3
        cf = self.get_nodeattr("IFMChannels") // self.get_nodeattr("SIMD")
        _, depth = self.buffer_memory()
        address, row = counter_bits(depth), counter_bits(w * cf)
        writer = counter_bits(h) + counter_bits(sh) + 2 + row + address
        reader = sum(counter_bits(n) for n in (kw * cf, kh, ow, oh)) + 2 * row
        return writer + reader + 2 * address + counter_bits(self.buffer_rows() + 1) + 1

    def resource_features(self, resource):
        """The line buffer (LUT RAM unless in block RAM) with its read register, the output
        slice, and the counters, pointers and address adders; a parallel window has the input
        slice and the register window instead of the output slice."""
        width, depth = self.buffer_memory()
        bram = self.uses_bram()
        control = self.counter_bits()
        if self.parallel():
            return self._parallel_features(resource, width, depth, bram, control)
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

    def _parallel_features(self, resource, width, depth, bram, control):
        """Features of ``finnflow_swg_parallel``, in LUTs and FFs as Yosys maps them (its own
        names, so they keep the prior coefficient 1 until parallel windows are calibrated): the
        input slice (a skid buffer of one pixel), the line buffer in LUT RAM and its read
        register (the whole buffer when it is no memory), the window (kh*kw pixel registers
        with clock enables, no logic), and the counters with the next-column read address."""
        pixel = self.get_instream_width()
        if resource == "ff":
            return {
                "line_register": 0 if bram else width,
                "input_slice": 2 * pixel,
                "window": self.get_outstream_width(),
                "window_control": control,
            }
        memory, mux = lutram_luts(width, depth) if self.has_memory() and not bram else (0, 0)
        address = counter_bits(self.get_nodeattr("IFMDim")[1]) if self.has_memory() else 0
        return {
            "line_buffer": memory,
            "line_buffer_mux": mux,
            "input_mux": pixel,
            "window_control": control + address,
        }

    def bram_estimation(self) -> int:
        return bram18_count(*self.buffer_memory()) if self.uses_bram() else 0
