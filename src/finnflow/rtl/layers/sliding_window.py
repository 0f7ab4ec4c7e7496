"""ConvolutionInputGenerator -> ``finnflow_swg`` (a line buffer in LUT RAM or block RAM), or
``finnflow_swg_parallel`` for a parallel window (a whole window a word)."""

from finnflow.hw.sliding_window import ConvolutionInputGenerator
from finnflow.rtl.layers import RtlLayer, rtl_for


@rtl_for(ConvolutionInputGenerator)
class SlidingWindowRtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        op.check_supported()
        op.verify_folding()
        h, w, kh, kw, sh, sw, _, _ = op.geometry()
        params = dict(
            IFM_H=h,
            IFM_W=w,
            C=op.get_nodeattr("IFMChannels"),
            SIMD=op.get_nodeattr("SIMD"),
            K_H=kh,
            K_W=kw,
            S_H=sh,
            S_W=sw,
            BITS=op.get_instream_format().bits,
            BUF_ROWS=op.buffer_rows(),
            RAM_STYLE="block" if op.uses_bram() else "distributed",
        )
        if op.parallel():
            del params["SIMD"], params["BUF_ROWS"]  # SIMD = C; K_H - 1 rows
            return [self.instance("finnflow_swg_parallel", params)]
        return [self.instance("finnflow_swg", params)]
