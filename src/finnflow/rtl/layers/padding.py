"""FMPadding -> ``finnflow_fmpadding``."""

from finnflow.hw.padding import FMPadding
from finnflow.rtl.layers import RtlLayer, rtl_for


@rtl_for(FMPadding)
class FMPaddingRtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        op.check_supported()
        h, w = op.get_nodeattr("ImgDim")
        top, left, bottom, right = op.get_nodeattr("Padding")
        params = dict(
            IFM_H=h,
            IFM_W=w,
            C=op.get_nodeattr("NumChannels"),
            SIMD=op.get_nodeattr("SIMD"),
            PAD_T=top,
            PAD_L=left,
            PAD_B=bottom,
            PAD_R=right,
            BITS=op.get_instream_format().bits,
        )
        return [self.instance("finnflow_fmpadding", params)]
