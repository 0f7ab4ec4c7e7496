"""MVAU -> ``finnflow_mvau``: weights and fused thresholds in embedded memories, the dot products
in LUTs or (``resType`` "dsp") DSP slices."""

import numpy as np

from finnflow.hw.mvau import MVAU
from finnflow.rtl.layers import RtlLayer, rtl_for
from finnflow.streams import signed_bits


@rtl_for(MVAU)
class MVAURtl(RtlLayer):
    def instances(self, rtl_dir):
        op = self.op
        fin, fout = op.get_instream_format(), op.get_outstream_format()
        xnor = bool(op.get_nodeattr("binaryXnorMode"))
        bipolar = op.weights_are_bipolar()
        wdt = op.get_weight_datatype()
        wbits = 1 if (xnor or bipolar) else wdt.bitwidth()
        wsigned = wdt.signed() and not (xnor or bipolar)
        acc_lo, acc_hi = op.accumulator_range()
        images = op.get_memory_images(self.model)
        if op.uses_dsp() and fin.signed:
            # the DSP datapath's unsigned inputs x + 2**(bits-1) add that times the row's weight
            # sum to the accumulator (finnflow_dotp_dsp): the thresholds take it along
            w = self.model.get_initializer(self.node.input[1]).astype(np.int64)
            offset = (1 << (fin.bits - 1)) * w.sum(axis=0)
            t = self.model.get_initializer(self.node.input[2]).astype(np.int64)
            images["thresholds"] = op.get_hw_compatible_threshold_tensor(t + offset[:, None])
            acc_lo, acc_hi = acc_lo + min(0, int(offset.min())), acc_hi + max(0, int(offset.max()))
        if "thresholds" in images:
            t = images["thresholds"]
            acc_lo, acc_hi = min(acc_lo, int(t.min())), max(acc_hi, int(t.max()))
        abits = signed_bits(acc_lo, acc_hi)
        steps = (
            images["thresholds"].shape[1] // op.get_nodeattr("PE") if "thresholds" in images else 0
        )
        params = dict(
            MW=op.get_nodeattr("MW"),
            MH=op.get_nodeattr("MH"),
            SIMD=op.get_nodeattr("SIMD"),
            PE=op.get_nodeattr("PE"),
            IBITS=fin.bits,
            ISIGNED=int(fin.signed),
            WBITS=wbits,
            WSIGNED=int(wsigned),
            WBIPOLAR=int(bipolar and not xnor),
            BINARY_XNOR=int(xnor),
            ABITS=abits,
            N_THRES=steps,
            OBITS=fout.bits,
            ACT_VAL=op.get_nodeattr("ActVal"),
            WEIGHT_FILE=self._weights(rtl_dir, images["weights"], wbits, wsigned),
            RAM_STYLE="block" if op.uses_bram() else "distributed",
            RES_TYPE="dsp" if op.uses_dsp() else "lut",
        )
        if "thresholds" in images:
            params["THRESH_FILE"] = self.write_memory(
                rtl_dir, "thresholds", abits, True, images["thresholds"]
            )
        return [self.instance("finnflow_mvau", params)]

    def _weights(self, rtl_dir, words, wbits: int, wsigned: bool) -> str:
        """The weight memory file (layout in ``finnflow_mvau``): for the LUT datapath each PE's
        weights as ``wbits`` bit planes of SIMD lanes (two's complement), for the DSP datapath
        lane by lane, signed weights with their sign bit inverted (``w + 2**(wbits-1)``)."""
        if self.op.uses_dsp():
            offset = (1 << (wbits - 1)) if wsigned else 0
            return self.write_memory(rtl_dir, "weights", wbits, False, words + offset)
        pe, simd = self.op.get_nodeattr("PE"), self.op.get_nodeattr("SIMD")
        lanes = np.asarray(words, dtype=np.int64).reshape(len(words), pe, 1, simd)
        planes = (lanes >> np.arange(wbits)[:, None]) & 1  # [word, pe, plane, lane]
        return self.write_memory(rtl_dir, "weights", 1, False, planes.reshape(len(words), -1))
