"""StreamingMaxPool -> ``finnflow_maxpool``."""

from finnflow.hw.maxpool import StreamingMaxPool
from finnflow.rtl.layers import RtlLayer, rtl_for


@rtl_for(StreamingMaxPool)
class MaxPoolRtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        op.check_supported()
        h, w, kh, kw, _, _ = op.geometry()
        fmt = op.get_instream_format()
        params = dict(
            IFM_H=h,
            IFM_W=w,
            C=op.get_nodeattr("NumChannels"),
            PE=op.get_nodeattr("PE"),
            K_H=kh,
            K_W=kw,
            BITS=fmt.bits,
            SIGNED=int(fmt.signed),
        )
        return [self.instance("finnflow_maxpool", params)]
