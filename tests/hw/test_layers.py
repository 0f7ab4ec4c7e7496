"""Hardware-layer execution against plain integer arithmetic, and per-layer estimates."""

import numpy as np
import pytest
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import qonnx_make_model

from finnflow.errors import FoldingError
from finnflow.hw import DOMAIN
from finnflow.hw.base import bound_op, rom_columns
from finnflow.hw.mvau import sparse_tree_bits


def _node(op, **attrs):
    return helper.make_node(op, ["x", "w", "t"], ["y"], domain=DOMAIN, **attrs)


def _mvau(mw, mh, **attrs):
    base = dict(
        MW=mw,
        MH=mh,
        PE=1,
        SIMD=1,
        inputDataType="INT4",
        weightDataType="INT4",
        outputDataType="INT2",
        accDataType="INT16",
    )
    return getCustomOp(_node("MVAU", **{**base, **attrs}))


def test_mvau_thresholds_on_digits(digits):
    rng = np.random.default_rng(0)
    x = np.rint(digits.x_test[:64] * 15).astype(np.float32)
    w = rng.integers(-8, 8, size=(64, 16)).astype(np.float32)
    t = np.sort(rng.integers(-300, 300, size=(16, 3)), axis=1).astype(np.float32)
    op = _mvau(64, 16, ActVal=-2, inputDataType="UINT4")
    ctx = {"x": x, "w": w, "t": t}
    op.execute_node(ctx, None)
    acc = x.astype(np.int64) @ w.astype(np.int64)
    expected = (acc[:, :, None] >= t[None].astype(np.int64)).sum(-1) - 2
    assert np.array_equal(ctx["y"], expected)


def test_mvau_xnor_popcount(digits):
    x = (digits.x_test[:32] > 0.5).astype(np.float32)
    rng = np.random.default_rng(1)
    w = rng.integers(0, 2, size=(64, 10)).astype(np.float32)
    op = _mvau(
        64,
        10,
        binaryXnorMode=1,
        noActivation=1,
        inputDataType="BINARY",
        weightDataType="BINARY",
        outputDataType="UINT7",
    )
    ctx = {"x": x, "w": w}
    op.execute_node(ctx, None)
    bipolar = (2 * x - 1) @ (2 * w - 1)
    assert np.array_equal(2 * ctx["y"] - 64, bipolar)


@pytest.mark.parametrize("pe, simd, cycles", [(1, 1, 64 * 16), (4, 8, 32), (16, 64, 1)])
def test_mvau_cycles(pe, simd, cycles):
    op = _mvau(64, 16, PE=pe, SIMD=simd)
    assert op.get_exp_cycles() == cycles
    assert op.lut_estimation() > 0


def test_mvau_folding_must_divide():
    with pytest.raises(
        FoldingError,
        match=r"PE=3 does not divide MH=16; valid PE values are "
        r"\[1, 2, 4, 8, 16\]",
    ):
        _mvau(64, 16, PE=3).verify_folding()


@pytest.mark.parametrize(
    "idt, wdt, pe, slices, most",
    [
        ("UINT4", "INT4", 8, 3, 3),  # fields of 8 bits: 3 in the 24-bit operand; rows 3, 3, 2
        ("UINT2", "INT2", 8, 2, 4),  # 6 would fit: the 8 rows dealt out as 4 and 4
        ("UINT8", "INT8", 8, 4, 2),
        ("INT4", "INT4", 2, 1, 2),  # no more than PE
        ("INT4", "BIPOLAR", 8, 2, 4),  # bipolar weights as 2w + 1, in 2 bits: 4 fit
        ("UINT3", "UINT5", 7, 3, 3),  # fields of 8, 8 and 5 bits
    ],
)
def test_mvau_dsp_packing(idt, wdt, pe, slices, most):
    """resType "dsp": DSP slices per input lane and products per slice."""
    op = _mvau(64, 56, PE=pe, SIMD=16, inputDataType=idt, weightDataType=wdt, resType="dsp")
    assert op.supports_dsp() and op.get_folding_space()["resType"] == ["lut", "dsp"]
    assert op.dsp_pack() == (slices, most)
    assert op.dsp_estimation() == 16 * slices
    op.verify_folding()
    assert (
        _mvau(64, 56, PE=pe, SIMD=16, inputDataType=idt, weightDataType=wdt).dsp_estimation() == 0
    )


def test_mvau_dsp_refuses_products_synthesis_keeps_in_luts():
    """A 2 x 2-bit product alone (PE=1) is too narrow for a DSP slice: a clear error."""
    op = _mvau(16, 8, inputDataType="UINT2", weightDataType="INT2", resType="dsp")
    with pytest.raises(FoldingError, match="4-bit products.*raise PE.*resType 'lut'"):
        op.verify_folding()
    op.set_nodeattr("PE", 2)  # 2 x 2 + 4 bits: 8 bits, still too narrow
    with pytest.raises(FoldingError, match="8-bit products"):
        op.verify_folding()
    op.set_nodeattr("PE", 4)
    op.verify_folding()


def test_mvau_dsp_needs_a_datapath_it_supports():
    """XNOR layers and signed inputs without thresholds stay on LUTs, with a clear error."""
    for attrs in (
        dict(inputDataType="BINARY", weightDataType="BINARY", binaryXnorMode=1),
        dict(inputDataType="INT4", noActivation=1),
        dict(inputDataType="UINT1"),  # AND gates, not multiplications
    ):
        op = _mvau(16, 8, resType="dsp", **attrs)
        assert "resType" not in op.get_folding_space()
        with pytest.raises(FoldingError, match="resType 'dsp' needs integer inputs"):
            op.verify_folding()


@pytest.mark.parametrize(
    "idt,wdt",
    [
        ("UINT3", "INT4"),
        ("INT4", "INT3"),
        ("INT2", "UINT2"),
        ("UINT4", "BIPOLAR"),
        ("INT3", "BIPOLAR"),
    ],
)
def test_mvau_term_layout_adds_up_to_the_dot_product(idt, wdt):
    """The popcount terms the resource model counts (``term_layout``: each term's shift and
    sign, in finnflow_dotp's order) add up to the dot product."""
    op = _mvau(32, 4, SIMD=32, inputDataType=idt, weightDataType=wdt)
    xdt, wd = DataType[idt], DataType[wdt]
    rng = np.random.default_rng(len(idt) + 7 * len(wdt))
    x = rng.integers(int(xdt.min()), int(xdt.max()) + 1, size=32)
    w = rng.integers(int(wd.min()), int(wd.max()) + 1, size=32)
    if wdt == "BIPOLAR":
        w = 2 * rng.integers(0, 2, size=32) - 1
    xb = [(x >> i) & 1 for i in range(xdt.bitwidth())]  # two's complement bits
    if wdt == "BIPOLAR":  # planes XNOR(x[i], w), then !w (twice for unsigned inputs)
        wbit = (w > 0).astype(np.int64)
        counts = [int((1 - (b ^ wbit)).sum()) for b in xb] + [int((1 - wbit).sum())]
        counts += [] if xdt.signed() else counts[-1:]
    else:
        wb = [(w >> j) & 1 for j in range(wd.bitwidth())]
        counts = [int((bi & bj).sum()) for bi in xb for bj in wb]
    layout = op.term_layout()
    total = sum((-c if neg else c) << sh for c, (sh, neg) in zip(counts, layout, strict=True))
    assert total == int(x @ w)


def test_sparse_adder_tree_counts_only_overlapping_bits():
    """Adders span from the higher low bit of a pair to one above its higher top; a missing
    term passes the other on; registered levels hold the sums' bits."""
    assert sparse_tree_bits([(0, 3), (1, 4)], 1) == (4, 5, (0, 5))
    assert sparse_tree_bits([(0, 3), None, None, (4, 6)], 2) == (3, 7, (0, 7))
    assert sparse_tree_bits([(2, 5), None], 0) == (0, 0, (2, 5))


def test_bram_for_deep_weight_memory():
    deep, shallow = _mvau(256, 256), _mvau(64, 16, PE=16, SIMD=64)
    assert deep.uses_bram() and deep.bram_estimation() >= 1
    assert not shallow.uses_bram() and shallow.bram_estimation() == 0


def test_label_select_topk_ties_to_lower_index():
    op = getCustomOp(
        helper.make_node(
            "LabelSelect",
            ["x"],
            ["y"],
            domain=DOMAIN,
            Labels=5,
            K=2,
            PE=1,
            inputDataType="INT8",
            outputDataType="UINT3",
        )
    )
    ctx = {"x": np.array([[3, 7, 7, 1, -2], [0, 0, 5, 0, 9]], dtype=np.float32)}
    op.execute_node(ctx, None)
    assert ctx["y"].tolist() == [[1, 2], [4, 2]]


def _thresholding(channels, steps, **attrs):
    base = dict(
        NumChannels=channels,
        PE=1,
        numSteps=steps,
        inputDataType="INT8",
        weightDataType="INT9",
        outputDataType="INT3",
    )
    node = helper.make_node("Thresholding", ["x", "t"], ["y"], domain=DOMAIN, **{**base, **attrs})
    return getCustomOp(node)


def test_threshold_ties_count_as_reached(digits):
    """An input exactly equal to a threshold reaches it (>=), in Thresholding and in the MVAU's
    fused activation, so a `>` slip changes these outputs."""
    x = np.rint(digits.x_test[:40, :8] * 255 - 128).astype(np.float32)
    t = np.sort(x[:3].T.astype(np.int64), axis=1)  # thresholds taken from the data itself
    op = _thresholding(8, 3, ActVal=-1)
    ctx = {"x": x, "t": t.astype(np.float32)}
    op.execute_node(ctx, None)
    ties = (x[:, :, None] == t[None]).sum()
    assert ties >= 24
    expected = (x[:, :, None] >= t[None]).sum(-1) - 1
    assert np.array_equal(ctx["y"], expected)
    assert not np.array_equal(ctx["y"], (x[:, :, None] > t[None]).sum(-1) - 1)

    w = np.eye(8, dtype=np.float32)  # accumulator = input, so the same ties
    mvau = _mvau(8, 8, ActVal=-1, inputDataType="INT8", weightDataType="INT2")
    ctx = {"x": x, "w": w, "t": t.astype(np.float32)}
    mvau.execute_node(ctx, None)
    assert np.array_equal(ctx["y"], expected)


def test_rom_columns_drop_constant_and_repeated_bits():
    """Of a ROM's bit columns synthesis keeps the varying ones, each distinct one once."""
    lane = np.array([1, 2, 3, 0])  # bits 0 and 1 vary, bit 2 is constant
    words = np.stack([lane, np.full(4, -1), lane], axis=1)  # a constant lane and a repeat
    assert rom_columns(words, 3) == 2
    assert rom_columns(np.stack([lane, 3 - lane], axis=1), 3) == 4  # complements are two


@pytest.mark.parametrize("depth", [1, 2, 8, 9, 64, 65, 200])
def test_rom_columns_count_the_distinct_varying_bit_columns(depth):
    """Equal to counting the distinct non-constant bit columns one by one, for ROMs of up to
    and beyond 64 words (their columns are compared as integers up to 64 words)."""
    rng = np.random.default_rng(depth)
    pool = rng.integers(-16, 16, size=(depth, 6))
    words = pool[:, rng.integers(0, 6, size=24)]  # repeated lanes
    words[:, :3] = 7  # constant lanes
    words[:, 3] &= 1  # a lane with one varying bit
    columns = {tuple((words[:, lane] >> bit) & 1) for lane in range(24) for bit in range(5)}
    assert rom_columns(words, 5) == sum(len(set(c)) > 1 for c in columns)


def test_threshold_rom_estimate_reads_the_thresholds(digits):
    """Bound to its model, a Thresholding layer costs its ROM on the columns the thresholds
    vary in: thresholds shared by every channel are constants, thresholds from the data are
    not; unbound it counts every column."""
    x = np.rint(digits.x_test[:64, :16] * 255 - 128).astype(np.int64)
    data = np.sort(x[:3].T, axis=1)
    shared = np.tile(data[:1], (16, 1))
    roms = {}
    for name, t in (("data", data), ("shared", shared)):
        node = _thresholding(16, 3, PE=2, weightDataType="INT8", outputDataType="UINT2").onnx_node
        model = ModelWrapper(qonnx_make_model(helper.make_graph([node], "g", [], [])))
        model.set_initializer("t", t.astype(np.float32))
        roms[name] = bound_op(node, model).resource_features("lut")["threshold_rom"]
        unbound = getCustomOp(node).resource_features("lut")["threshold_rom"]
    assert roms["shared"] == 0 < roms["data"] <= unbound == 2 * 3 * 9  # PE x steps x (8 + 1) bits


def test_mvau_memory_images_follow_the_documented_layout():
    rng = np.random.default_rng(3)
    w = rng.integers(-8, 8, size=(12, 8))  # [MW, MH]
    t = np.sort(rng.integers(-50, 50, size=(8, 3)), axis=1)
    op = _mvau(12, 8, PE=2, SIMD=3)
    words = op.get_hw_compatible_weight_tensor(w)
    nf, sf = op.folds()
    assert words.shape == (nf * sf, 2 * 3)
    for a in range(nf):
        for s in range(sf):
            for p in range(2):
                for k in range(3):
                    assert words[a * sf + s, p * 3 + k] == w[s * 3 + k, a * 2 + p]
    tw = op.get_hw_compatible_threshold_tensor(t)
    assert tw.shape == (nf, 2 * 3) and tw[1, 3 + 2] == t[1 * 2 + 1, 2]
    bipolar = _mvau(12, 8, weightDataType="BIPOLAR").get_hw_compatible_weight_tensor(
        np.where(w >= 0, 1, -1)
    )
    assert set(np.unique(bipolar)) == {0, 1}


def test_shapes_and_streams_follow_the_folding():
    op = _mvau(64, 16, PE=4, SIMD=8, numInputVectors=[1])
    assert op.get_folded_input_shape() == [1, 8, 8] and op.get_folded_output_shape() == [1, 4, 4]
    assert op.get_normal_input_shape() == [1, 64] and op.get_normal_output_shape() == [1, 16]
    assert op.get_instream_width() == 8 * 4 and op.get_outstream_width() == 4 * 2
    assert op.get_outstream_width_padded() == 8 and op.get_number_output_values() == 4


def test_stitching_ops():
    fifo = getCustomOp(
        helper.make_node(
            "StreamingFIFO",
            ["x"],
            ["y"],
            domain=DOMAIN,
            depth=300,
            folded_shape=[1, 16, 4],
            normal_shape=[1, 64],
            dataType="INT3",
        )
    )
    assert fifo.get_instream_width() == 12 and fifo.get_exp_cycles() == 16
    assert fifo.uses_bram() and fifo.bram_estimation() >= 1
    fifo.set_nodeattr("depth", 1)
    with pytest.raises(FoldingError, match="depth=1; a FIFO holds at least 2 words"):
        fifo.verify_folding()
    dwc = getCustomOp(
        helper.make_node(
            "StreamingDataWidthConverter",
            ["x"],
            ["y"],
            domain=DOMAIN,
            shape=[1, 60],
            inWidth=12,
            outWidth=20,
            dataType="UINT4",
        )
    )
    assert dwc.get_folded_input_shape() == [1, 20, 3]
    assert dwc.get_folded_output_shape() == [1, 12, 5]
    assert dwc.get_exp_cycles() == 60  # through the common 4-bit width: one 4-bit word a cycle
    ctx = {"x": np.arange(60, dtype=np.float32).reshape(1, 60) % 16}
    dwc.execute_node(ctx, None)
    assert np.array_equal(ctx["y"], ctx["x"])
    dwc.set_nodeattr("outWidth", 14)
    with pytest.raises(FoldingError, match="outWidth=14 is not a whole number of 4-bit"):
        dwc.verify_folding()
