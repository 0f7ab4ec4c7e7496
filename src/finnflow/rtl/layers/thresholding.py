"""Thresholding -> ``finnflow_thresholding``: thresholds in an embedded memory."""

from finnflow.hw.thresholding import Thresholding
from finnflow.rtl.layers import RtlLayer, rtl_for
from finnflow.streams import signed_bits


@rtl_for(Thresholding)
class ThresholdingRtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        fin, fout = op.get_instream_format(), op.get_outstream_format()
        t = op.get_memory_images(self.model)["thresholds"]
        lo, hi = fin.value_range()
        # a threshold above the input range is a step that never fires: it may need one more bit
        tbits = signed_bits(min(lo, int(t.min())), max(hi, int(t.max())))
        params = dict(
            C=op.get_nodeattr("NumChannels"),
            PE=op.get_nodeattr("PE"),
            IBITS=fin.bits,
            ISIGNED=int(fin.signed),
            N_THRES=op.get_nodeattr("numSteps"),
            OBITS=fout.bits,
            ACT_VAL=op.get_nodeattr("ActVal"),
            TBITS=tbits,
            TSIGNED=1,
            THRESH_FILE=self.write_memory(rtl_dir, "thresholds", tbits, True),
            RAM_STYLE=op.get_nodeattr("ram_style"),
        )
        return [self.instance("finnflow_thresholding", params)]
