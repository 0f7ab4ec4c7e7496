"""MVAU: matrix-vector-activation unit (FINN's MVAU) with fused thresholds, its dot products in
LUTs (bit-plane popcounts) or, with ``resType`` "dsp", in DSP slices."""

import functools
import math

import numpy as np
from qonnx.core.datatype import DataType

from finnflow.datatypes import as_int
from finnflow.errors import FoldingError
from finnflow.hw.base import HWCustomOp, bram18_count, datatype, lutram_luts, rom_luts
from finnflow.streams import signed_bits


class MVAU(HWCustomOp):
    """y = thresholds(x @ W) (or x @ W with ``noActivation``), folded over PE rows and SIMD columns.

    Inputs: ``in0`` [..., MW], weights [MW, MH] (FINN's layout), thresholds [MH, steps] unless
    ``noActivation``. With ``binaryXnorMode`` input and weights are {0, 1} encodings of bipolar
    values and the accumulator is the XNOR popcount (number of matching bits).

    ``resType`` chooses the dot products' resources: "lut" (and "auto") bit-plane popcounts in
    LUTs; "dsp" the products in DSP slices, several packed into one (see :meth:`dsp_pack`,
    :meth:`supports_dsp`)."""

    DSP_A_BITS = 24  # unsigned bits of a DSP48E1's 25-bit signed multiplier operand
    DSP_B_BITS = 17  # and of its 18-bit one
    # narrower multiplications go to LUTs (Yosys synth_xilinx: operands of 2 bits or more and
    # products of 9 or more become DSP slices)
    DSP_MIN_OPERAND_BITS = 2
    DSP_MIN_PRODUCT_BITS = 9

    def get_nodeattr_types(self):
        return {
            **super().get_nodeattr_types(),
            "PE": ("i", True, 1),
            "SIMD": ("i", True, 1),
            "MW": ("i", True, 0),
            "MH": ("i", True, 0),
            "resType": ("s", False, "lut", {"auto", "lut", "dsp"}),
            "ActVal": ("i", False, 0),
            "weightDataType": ("s", True, ""),
            "accDataType": ("s", False, "INT32"),
            "binaryXnorMode": ("i", False, 0, {0, 1}),
            "noActivation": ("i", False, 0, {0, 1}),
            "mem_mode": (
                "s",
                False,
                "internal_embedded",
                {"internal_embedded", "internal_decoupled", "external"},
            ),
            "ram_style": ("s", False, "auto", {"auto", "block", "distributed", "ultra"}),
            "ram_style_thresholds": ("s", False, "auto", {"auto", "block", "distributed"}),
        }

    def get_folding_params(self):
        return {"SIMD": "MW", "PE": "MH"}

    def get_folding_attrs(self):
        return ("PE", "SIMD", "ram_style", "ram_style_thresholds", "resType", "mem_mode")

    def get_folding_space(self):
        space = super().get_folding_space()
        if self.supports_dsp():
            space["resType"] = ["lut", "dsp"]
        return space

    def verify_folding(self):
        super().verify_folding()
        name = self.onnx_node.name
        if self.uses_dsp() and not self.supports_dsp():
            raise FoldingError(
                f"{name}: resType 'dsp' needs integer inputs of {self.DSP_MIN_OPERAND_BITS} to "
                f"{self.DSP_B_BITS} bits (signed ones with an activation) and no binaryXnorMode "
                f"(inputs {self.get_input_datatype().name}, noActivation "
                f"{self.get_nodeattr('noActivation')}); use resType 'lut' for this layer"
            )
        if self.uses_dsp():
            bits, operand = self.dsp_min_product_bits(), self.dsp_min_operand_bits()
            if bits < self.DSP_MIN_PRODUCT_BITS or operand < self.DSP_MIN_OPERAND_BITS:
                raise FoldingError(
                    f"{name}: resType 'dsp' at PE={self.get_nodeattr('PE')} makes {bits}-bit "
                    f"products of {operand}-bit packed weights, which synthesis keeps in LUTs, "
                    f"not DSP slices (at least {self.DSP_MIN_PRODUCT_BITS} and "
                    f"{self.DSP_MIN_OPERAND_BITS} bits); raise PE (more products per slice) or "
                    "use resType 'lut'"
                )

    def uses_dsp(self) -> bool:
        return self.get_nodeattr("resType") == "dsp"

    def supports_dsp(self) -> bool:
        """The DSP datapath takes integer inputs that fit the multiplier and are wide enough for
        synthesis to map the products to DSP slices, signed ones only with thresholds (which
        absorb its input offset), and no XNOR."""
        idt = self.get_input_datatype()
        return (
            not self.get_nodeattr("binaryXnorMode")
            and idt.is_integer()
            and idt != datatype("BIPOLAR")
            and self.DSP_MIN_OPERAND_BITS <= idt.bitwidth() <= self.DSP_B_BITS
            and not (idt.signed() and self.get_nodeattr("noActivation"))
        )

    def dsp_product_bits(self) -> tuple[int, int]:
        """(weight bits, product bits) of the DSP datapath, whose weights are made non-negative
        (a bipolar weight as 2w + 1 in 2 bits): the products are unsigned, fields of one wide
        multiplication that never carry into each other."""
        wbits = 2 if self.weights_are_bipolar() else self.get_weight_datatype().bitwidth()
        return wbits, self.get_input_datatype().bitwidth() + wbits

    def dsp_pack(self) -> tuple[int, int]:
        """(DSP slices per input lane, most products in one) of ``finnflow_dotp_dsp``: as many
        weights as fit the multiplier's wide operand, spaced by the product width, with the PE
        rows dealt out in turn over the slices (each holds PE / slices rows, give or take one)."""
        wbits, fbits = self.dsp_product_bits()
        fit = (self.DSP_A_BITS - wbits) // fbits + 1
        pe = self.get_nodeattr("PE")
        slices = -(-pe // fit)
        return slices, -(-pe // slices)

    def dsp_min_operand_bits(self) -> int:
        """Width of the narrowest packed weight operand (the slice with the fewest rows)."""
        wbits, fbits = self.dsp_product_bits()
        rows = self.get_nodeattr("PE") // self.dsp_pack()[0]
        return (rows - 1) * fbits + wbits

    def dsp_min_product_bits(self) -> int:
        """Width of the narrowest multiplication (the slice with the fewest rows)."""
        return self.dsp_min_operand_bits() + self.get_input_datatype().bitwidth()

    def get_folded_input_shape(self):
        simd = self.get_nodeattr("SIMD")
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("MW") // simd, simd]

    def get_folded_output_shape(self):
        pe = self.get_nodeattr("PE")
        return [*self.get_nodeattr("numInputVectors"), self.get_nodeattr("MH") // pe, pe]

    def datapath_lanes(self) -> int:
        return self.get_nodeattr("PE") * self.get_nodeattr("SIMD")

    def folds(self) -> tuple[int, int]:
        """(NF, SF): neuron folds and synapse folds."""
        mh, mw = self.get_nodeattr("MH"), self.get_nodeattr("MW")
        return mh // self.get_nodeattr("PE"), mw // self.get_nodeattr("SIMD")

    def num_thresholds(self) -> int:
        if self.get_nodeattr("noActivation"):
            return 0
        return self.get_output_datatype().get_num_possible_values() - 1

    def execute_node(self, context, graph):
        node = self.onnx_node
        x = as_int(context[node.input[0]])
        x = x.reshape(-1, *self.get_normal_input_shape()[1:])  # an FC layer reads an image flat
        w = as_int(context[node.input[1]])
        if self.get_nodeattr("binaryXnorMode"):
            acc = x @ w + (1 - x) @ (1 - w)
        else:
            acc = x @ w
        if self.get_nodeattr("noActivation"):
            out = acc
        else:
            t = as_int(context[node.input[2]])
            out = (acc[..., None] >= t).sum(axis=-1) + self.get_nodeattr("ActVal")
        big = np.abs(out).max(initial=0) >= 2**24
        context[node.output[0]] = out.astype(np.float64 if big else np.float32)

    def weights_are_bipolar(self) -> bool:
        """Bipolar weights with integer inputs: stored as one bit, 1 -> +1 and 0 -> -1."""
        return self.get_weight_datatype() == datatype("BIPOLAR")

    def get_weight_datatype(self) -> DataType:
        return datatype(self.get_nodeattr("weightDataType"))

    def get_hw_compatible_weight_tensor(self, w: np.ndarray) -> np.ndarray:
        """Weights [MW, MH] as memory words [NF * SF, PE * SIMD]: word ``nf * SF + sf`` holds
        W[row nf*PE + p][column sf*SIMD + s] in lane ``p * SIMD + s``; bipolar as {0, 1}."""
        nf, sf = self.folds()
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        w = np.asarray(w).astype(np.int64)
        if self.weights_are_bipolar():
            w = (w > 0).astype(np.int64)
        return w.T.reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3).reshape(nf * sf, pe * simd)

    def get_hw_compatible_threshold_tensor(self, t: np.ndarray) -> np.ndarray:
        """Thresholds [MH, steps] as memory words [NF, PE * steps]: word ``nf`` holds
        T[row nf*PE + p][step k] in lane ``p * steps + k``."""
        t = np.asarray(t).astype(np.int64)
        return t.reshape(self.folds()[0], self.get_nodeattr("PE") * t.shape[1])

    def get_memory_images(self, model):
        w, *t = (model.get_initializer(name) for name in self.onnx_node.input[1:])
        images = {"weights": self.get_hw_compatible_weight_tensor(w)}
        if not self.get_nodeattr("noActivation"):
            images["thresholds"] = self.get_hw_compatible_threshold_tensor(t[0])
        return images

    def accumulator_range(self) -> tuple[int, int]:
        acc = datatype(self.get_nodeattr("accDataType"))
        return int(acc.min()), int(acc.max())

    def get_exp_cycles(self) -> int:
        nf, sf = self.folds()
        return nf * sf * self.num_vectors()

    def weight_memory(self) -> tuple[int, int]:
        """(width, depth) of the weight memory: one word per (neuron fold, synapse fold)."""
        nf, sf = self.folds()
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        return pe * simd * self.get_weight_datatype().bitwidth(), nf * sf

    def uses_bram(self) -> bool:
        style = self.get_nodeattr("ram_style")
        return style in ("block", "ultra") or (style == "auto" and self.weight_memory()[1] > 64)

    def accumulator_bits(self) -> int:
        """Width of the RTL's two's-complement accumulator."""
        return signed_bits(*self.accumulator_range())

    def threshold_memory(self) -> tuple[int, int]:
        """(width, depth) of the threshold memory: one word of PE x steps per neuron fold."""
        return self.get_nodeattr(
            "PE"
        ) * self.num_thresholds() * self.accumulator_bits(), self.folds()[0]

    def bit_planes(self) -> int:
        """Popcounts per output lane of the RTL's dot product (``finnflow_dotp``): XNOR one
        plane; bipolar weights one per input bit plus one of the weight bits; otherwise one per
        (input bit, weight bit)."""
        ibits = self.get_input_datatype().bitwidth()
        if self.get_nodeattr("binaryXnorMode"):
            return 1
        if self.weights_are_bipolar():
            return ibits + 1
        return ibits * self.get_weight_datatype().bitwidth()

    def term_layout(self) -> list[tuple[int, bool]]:
        """(shift, negative) of each signed term of ``finnflow_dotp`` in slot order (the RTL's
        term_shift and term_neg): a popcount weighted by +-2**shift."""
        idt = self.get_input_datatype()
        ibits, isigned = idt.bitwidth(), idt.signed()
        if self.get_nodeattr("binaryXnorMode"):
            return [(0, False)]
        if self.weights_are_bipolar():
            terms = [(t, isigned and t == ibits - 1) for t in range(ibits)] + [(0, False)]
            return terms if isigned else [*terms, (ibits, True)]
        wdt = self.get_weight_datatype()
        wbits, wsigned = wdt.bitwidth(), wdt.signed()
        return [
            (i + j, (isigned and i == ibits - 1) != (wsigned and j == wbits - 1))
            for i in range(ibits)
            for j in range(wbits)
        ]

    def dot_tree(self) -> tuple[int, int, int]:
        """(term width, height, levels per register) of the dot product's adder trees: in
        ``finnflow_dotp`` the popcount terms (EW, DA), in ``finnflow_dotp_dsp`` the product
        fields over the lanes (F, D); the last is the RTL's TREE_PIPE (:func:`tree_pipe`)."""
        if self.uses_dsp():
            width = self.dsp_product_bits()[1]
            height = max(0, math.ceil(math.log2(self.get_nodeattr("SIMD"))))
        else:
            count_bits = max(1, math.ceil(math.log2(self.get_nodeattr("SIMD") + 1)))
            width = count_bits + self.get_input_datatype().bitwidth()
            width += self.get_weight_datatype().bitwidth()
            terms = len(self.term_layout())
            height = math.ceil(math.log2(terms)) if terms > 1 else 0
        return width, height, tree_pipe(width, height)

    def term_tree_bits(self) -> tuple[int, int]:
        """(adder bits, register bits) per output lane of what combines the popcounts in
        ``finnflow_dotp``: the trees of the positive and the negative terms and their
        difference. Terms are shifted counts, so an adder spans only from where both operands
        have bits to one above the wider, and a register only the bits its sum can set
        (synthesis drops the constant ones)."""
        count_bits = max(1, math.ceil(math.log2(self.get_nodeattr("SIMD") + 1)))
        layout = self.term_layout()
        width, height, pipe = self.dot_tree()
        adders = regs = 0
        tops = {}
        for neg in (False, True):
            slots = [(sh, sh + count_bits) if n == neg else None for sh, n in layout]
            slots += [None] * ((1 << height) - len(slots))
            a, r, tops[neg] = sparse_tree_bits(slots, pipe)
            adders, regs = adders + a, regs + r
        if tops[True] is not None:  # the difference, as wide as the dot product it gives
            adders += max(0, min(self.accumulator_bits(), width + height + 1) - tops[True][0])
        return adders, regs

    def resource_features(self, resource):
        """The RTL's (``finnflow_mvau``) parts: the LUT sites and registers of the bit planes'
        popcounts (counted on their generated netlists), the adders combining the planes'
        counts, accumulators, comparators, memories mapped to LUTs (weights and thresholds
        unless in block RAM; the input buffer when NF > 1), registers and control. The output
        slice has a skid register and its multiplexer only when SF = 1 (with SF > 1 a result
        leaves at most every other step); the weight address has a counter of its own only
        when SF is not a power of two."""
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        ibits = self.get_input_datatype().bitwidth()
        abits, steps = self.accumulator_bits(), self.num_thresholds()
        obits = self.get_output_datatype().bitwidth()
        nf, sf = self.folds()
        planes = self.bit_planes()
        ww, depth = self.weight_memory()
        tw, _ = self.threshold_memory()
        bram = self.uses_bram()
        thr_layout = self.get_hw_compatible_threshold_tensor
        thr_kept = self.rom_bits(2, thr_layout, abits, tw, nf) if steps else 0  # 0: no thresholds
        counters = (nf, sf) if sf & (sf - 1) == 0 else (nf, sf, nf * sf)
        ctrl = sum(max(1, math.ceil(math.log2(n))) for n in counters)
        skid = sf == 1
        bipolar = self.weights_are_bipolar() or self.get_nodeattr("binaryXnorMode")
        input_bits = simd * ibits
        from finnflow.rtl.popcount import popcount_cost  # the RTL imports this module

        pc_luts, pc_ffs = popcount_cost(simd)  # the same for every plane op
        term_adders, term_regs = (0, 0) if self.uses_dsp() else self.term_tree_bits()
        if resource == "ff":
            dot = {"popcount_registers": pe * planes * pc_ffs, "term_registers": pe * term_regs}
            if self.uses_dsp():
                dot = self._dsp_features()[1]
            return {
                **dot,
                "weight_register": 0 if bram else ww,
                "input_register": input_bits,
                "accumulators": 2 * pe * abits,
                "threshold_register": 0 if bram else thr_kept,
                "output_slice": (3 if skid else 2) * pe * obits,
                "control": ctrl,
                "constant": 1,
            }
        dot = {
            "popcount_luts": pe * planes * pc_luts if simd > 1 else 0,
            "term_adder_bits": pe * term_adders if simd > 1 else 0,
            # one lane: a multiplier, whose partial products (the planes) synthesis merges
            # into its adders; with bipolar weights a conditional negation
            "single_lane_planes": pe * planes if simd == 1 and not bipolar else 0,
            "single_lane_bipolar_planes": pe * planes if simd == 1 and bipolar else 0,
        }
        if self.uses_dsp():
            dot = self._dsp_features()[0]
        return {
            **dot,
            "accumulator_bits": pe * abits,
            # one neuron fold: the thresholds are constants
            "comparator_bits": pe * steps * abits if nf > 1 else 0,
            "constant_comparator_bits": pe * steps * abits if nf == 1 else 0,
            "threshold_counts": pe * steps,
            "count_bits": pe * steps * obits,
            "weight_rom": 0 if bram else rom_luts(ww, depth),
            "threshold_rom": 0 if bram else rom_luts(thr_kept, nf),
            "input_buffer": lutram_luts(input_bits, sf, dual_port=False)[0] if nf > 1 else 0,
            "output_slice": pe * obits if skid else 0,
            "control": ctrl,
            "constant": 1,
        }

    def _dsp_features(self) -> tuple[dict, dict]:
        """LUT and FF features of ``finnflow_dotp_dsp``: per row an adder tree over the lanes'
        product fields; with signed or bipolar weights also the input sum (shared) and one
        subtraction per row. Its trees register as :meth:`dot_tree` says."""
        pe, simd = self.get_nodeattr("PE"), self.get_nodeattr("SIMD")
        ibits = self.get_input_datatype().bitwidth()
        offset = self.weights_are_bipolar() or self.get_weight_datatype().signed()
        fbits, height, pipe = self.dot_tree()
        tree, tree_regs = adder_tree_bits(simd, fbits, pipe)
        xtree, xtree_regs = adder_tree_bits(simd, ibits, pipe) if offset else (0, 0)
        luts = {
            "product_adder_bits": pe * tree + xtree,
            "offset_bits": pe * (fbits + height + 1) if offset else 0,
        }
        # the input sum waits out the multipliers' two registers
        ffs = {"product_registers": pe * tree_regs + xtree_regs + 2 * (ibits + height) * offset}
        return luts, ffs

    def dsp_estimation(self) -> int:
        if not self.uses_dsp():
            return 0
        return self.get_nodeattr("SIMD") * self.dsp_pack()[0]

    def bram_estimation(self) -> int:
        """Weights and (with them, as the RTL's one RAM_STYLE puts them) thresholds; a memory
        of one word is a constant, which synthesis keeps out of block RAM."""
        if not self.uses_bram():
            return 0
        return sum(
            bram18_count(w, d) for w, d in (self.weight_memory(), self.threshold_memory()) if d > 1
        )


def tree_pipe(width: int, height: int) -> int:
    """Adder-tree levels per register in ``finnflow_dotp`` and ``finnflow_dotp_dsp`` (their
    TREE_PIPE) for terms of ``width`` bits in a tree of ``height`` levels: a stage of p chained
    ripple adders of W bits spans about 1 + W/4 + 2(p-1) primitives, kept within 8 with a LUT
    level of margin."""
    top = width + height
    return 1 if top > 16 else 2 if top > 12 else 3


def sparse_tree_bits(slots: list, pipe: int) -> tuple[int, int, tuple | None]:
    """(adder bits, register bits, the sum's bit range) of ``finnflow_addtree`` over
    ``len(slots)`` (a power of two) terms, slot i holding the bit range (lo, hi) of term i or
    None for a constant 0: a pair of ranges adds from the higher lo to one above the higher hi,
    and level l is registered when l is a multiple of ``pipe``."""
    return _tree_bits(tuple(slots), pipe)


@functools.cache  # the folding search asks for the same trees for thousands of foldings
def _tree_bits(slots: tuple, pipe: int) -> tuple[int, int, tuple | None]:
    adders = regs = level = 0
    while len(slots) > 1:
        level += 1
        sums = []
        for a, b in zip(slots[0::2], slots[1::2], strict=True):
            if a is None or b is None:
                sums.append(a or b)
                continue
            sums.append((min(a[0], b[0]), max(a[1], b[1]) + 1))
            adders += sums[-1][1] - max(a[0], b[0])
        if pipe and level % pipe == 0:
            regs += sum(hi - lo for lo, hi in filter(None, sums))
        slots = sums
    return adders, regs, slots[0] if slots else None


@functools.cache
def adder_tree_bits(n: int, width: int, pipe: int) -> tuple[int, int]:
    """(adder bits, register bits) of ``finnflow_addtree`` summing ``n`` unsigned ``width``-bit
    terms (:func:`sparse_tree_bits` on n equal terms, padded with zeros to a power of two)."""
    slots = [(0, width)] * n
    slots += [None] * ((1 << max(0, math.ceil(math.log2(max(n, 1))))) - n)
    adders, regs, _ = sparse_tree_bits(slots, pipe)
    return adders, regs
