"""StreamingFIFO -> ``finnflow_fifo``; StreamingDataWidthConverter -> ``finnflow_dwc``, two of
them through the greatest common width where neither width divides the other."""

import math

from finnflow.hw.stitching import StreamingDataWidthConverter, StreamingFIFO
from finnflow.rtl.layers import Instance, RtlLayer, rtl_for


@rtl_for(StreamingFIFO)
class FIFORtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        params = dict(
            WIDTH=op.get_instream_width(),
            DEPTH=op.get_nodeattr("depth"),
            RAM_STYLE="block" if op.uses_bram() else "distributed",
        )
        return [self.instance("finnflow_fifo", params)]


@rtl_for(StreamingDataWidthConverter)
class DWCRtl(RtlLayer):
    def instances(self, rtl_dir):
        inw, outw = self.op.get_instream_width(), self.op.get_outstream_width()
        if inw % outw == 0 or outw % inw == 0:
            return [self.instance("finnflow_dwc", dict(IN_WIDTH=inw, OUT_WIDTH=outw))]
        mid = math.gcd(inw, outw)
        return [
            Instance(
                "finnflow_dwc",
                f"{self.node.name}_down",
                dict(IN_WIDTH=inw, OUT_WIDTH=mid),
                inw,
                mid,
            ),
            Instance(
                "finnflow_dwc",
                f"{self.node.name}_up",
                dict(IN_WIDTH=mid, OUT_WIDTH=outw),
                mid,
                outw,
            ),
        ]
