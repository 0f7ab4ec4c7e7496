"""LabelSelect -> ``finnflow_label_select`` (top-1)."""

from finnflow.errors import UnsupportedOpError
from finnflow.hw.label_select import LabelSelect
from finnflow.rtl.layers import RtlLayer, rtl_for


@rtl_for(LabelSelect)
class LabelSelectRtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        if op.get_nodeattr("K") != 1:
            raise UnsupportedOpError(
                f"{self.node.name}: the RTL LabelSelect returns the top-1 label only (K=1)"
            )
        fin = op.get_instream_format()
        params = dict(
            NUM_LABELS=op.get_nodeattr("Labels"),
            PE=op.get_nodeattr("PE"),
            IBITS=fin.bits,
            ISIGNED=int(fin.signed),
            OBITS=op.get_outstream_format().bits,
        )
        return [self.instance("finnflow_label_select", params)]
