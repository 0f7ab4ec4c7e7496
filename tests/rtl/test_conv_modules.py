"""Sliding window, max pool and padding in Verilator against the layers' Python execution: random
images, several back to back, free-running and under input bubbles and output back-pressure;
the steady-state cycles per image equal the layer's get_exp_cycles exactly."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.general import GiveUniqueNodeNames
from qonnx.transformation.infer_datatypes import InferDataTypes
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model

from finnflow.errors import FoldingError
from finnflow.execute import execute
from finnflow.hw import DOMAIN
from finnflow.hw.estimate import expected_cycles
from finnflow.rtl.layers import rtl_layer
from finnflow.sim.rtlsim import simulate_stitched, steady_state_interval
from finnflow.sim.verilator import simulate
from finnflow.synth import synthesize_node
from finnflow.transforms.stitch import stitch

FRAMES = 5
HANDSHAKE = ((1, 0.3, 0.5), (2, 0.0, 0.8), (3, 0.7, 0.0))  # (seed, bubble, back-pressure)


def _layer(op_type: str, dtype: str, frames: int, **attrs):
    """A one-node graph of the layer (``frames`` images a batch) and its custom op."""
    node = helper.make_node(
        op_type,
        ["x"],
        ["y"],
        domain=DOMAIN,
        name=f"{op_type}_0",
        inputDataType=dtype,
        outputDataType=dtype,
        numInputVectors=[frames],
        **attrs,
    )
    op = getCustomOp(node)
    graph = helper.make_graph(
        [node],
        "layer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, op.get_normal_input_shape())],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, op.get_normal_output_shape())],
    )
    return ModelWrapper(qonnx_make_model(graph)), op


def _images(op, seed: int) -> np.ndarray:
    """Random integer images [frames, H, W, C] over the whole range of the input datatype."""
    dt = op.get_input_datatype()
    rng = np.random.default_rng(seed)
    x = rng.integers(int(dt.min()), int(dt.max()) + 1, size=op.get_normal_input_shape())
    assert len(np.unique(x)) > 1
    return x.astype(np.float32)


def _run_layer(op_type, dtype, attrs, build_rtl, seed=0):
    """Simulate the layer's RTL (parameters from its RTL mapping) on FRAMES random images under
    every handshake; check the outputs against execute_node and return the cycles per image."""
    model, op = _layer(op_type, dtype, FRAMES, **attrs)
    (inst,) = rtl_layer(model, model.graph.node[0]).instances(None)
    binary = build_rtl(inst.module, inst.params)
    x = _images(op, seed)
    ctx = {"x": x}
    op.execute_node(ctx, None)
    fin, fout = op.get_instream_format(), op.get_outstream_format()
    words = fin.pack_frames(x.reshape(FRAMES, -1))
    expect = np.asarray(ctx["y"], dtype=np.int64).reshape(FRAMES, -1)
    n_out = op.get_number_output_values()
    assert fin.width == inst.in_width and fout.width == inst.out_width

    res = simulate(binary, words, n_out, drain=30)
    assert len(res.out_words) == n_out, "spurious output words"
    assert np.array_equal(fout.unpack_frames(res.out_words, FRAMES), expect)
    for seed_, bubble, bp in HANDSHAKE:
        r = simulate(binary, words, n_out, bubble=bubble, backpressure=bp, seed=seed_)
        got = fout.unpack_frames(r.out_words, FRAMES)
        assert np.array_equal(got, expect), (seed_, bubble, bp)

    per_frame = n_out // FRAMES
    ends = res.out_cycles[per_frame - 1 :: per_frame]
    op.set_batch_size(1)
    exp = op.get_exp_cycles()
    assert steady_state_interval(ends) == exp
    assert np.diff(ends)[-2:].tolist() == [exp, exp], ends
    return exp


# ----------------------------------------------------------------------------- sliding window
def _swg(h, w, c, simd, k, s, ram_style="auto", parallel=0):
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    return dict(
        IFMDim=[h, w],
        IFMChannels=c,
        SIMD=simd,
        ConvKernelDim=list(k),
        Stride=list(s),
        OFMDim=[oh, ow],
        ram_style=ram_style,
        parallel_window=parallel,
    )


SWG_CASES = {
    # CNV-like 3x3, stride 1: output-bound (9 words out per word in)
    "cnv_simd1_u2": ("UINT2", _swg(8, 8, 4, 1, (3, 3), (1, 1))),
    "cnv_simd2_s4": ("INT4", _swg(8, 8, 4, 2, (3, 3), (1, 1))),
    "cnv_simd4_bin": ("BINARY", _swg(8, 8, 4, 4, (3, 3), (1, 1), "block")),
    "k3_s2_odd_s8": ("INT8", _swg(9, 7, 2, 2, (3, 3), (2, 2))),
    "k1_s1_u3": ("UINT3", _swg(5, 6, 4, 2, (1, 1), (1, 1))),
    "k2x3_s1x2_nonsquare": ("INT3", _swg(6, 9, 3, 1, (2, 3), (1, 2))),
    # stride larger than the kernel: rows and columns between and after the windows are
    # skipped; the reader frees rows whose unread tail the writer is still consuming
    "k2_s3_u4": ("UINT4", _swg(7, 7, 2, 1, (2, 2), (3, 3))),
    "k1x2_s1x3_s2": ("INT2", _swg(6, 9, 2, 1, (1, 2), (1, 3))),
    "k3x1_s1x2_in_bound": ("INT2", _swg(4, 8, 2, 1, (3, 1), (1, 2))),
}


@pytest.mark.parametrize("dtype,attrs", SWG_CASES.values(), ids=SWG_CASES.keys())
def test_sliding_window(dtype, attrs, build_rtl):
    exp = _run_layer("ConvolutionInputGenerator", dtype, attrs, build_rtl, seed=len(str(attrs)))
    h, w = attrs["IFMDim"]
    oh, ow = attrs["OFMDim"]
    cf = attrs["IFMChannels"] // attrs["SIMD"]
    kh, kw = attrs["ConvKernelDim"]
    assert exp == max(h * w, oh * ow * kh * kw) * cf


def _parallel(h, w, c, k, s, ram_style="auto"):
    return _swg(h, w, c, c, k, s, ram_style, parallel=1)


PARALLEL_CASES = {
    # CNV-like first layer: 3 channels, 3x3 at stride 1
    "cnv_8x8x3_u8": ("UINT8", _parallel(8, 8, 3, (3, 3), (1, 1))),
    "cnv_8x8x3_block_s4": ("INT4", _parallel(8, 8, 3, (3, 3), (1, 1), "block")),
    "k3_s2_odd_s8": ("INT8", _parallel(9, 7, 2, (3, 3), (2, 2))),
    "k2_s1_bin": ("BINARY", _parallel(6, 5, 4, (2, 2), (1, 1))),
    "k1_u3": ("UINT3", _parallel(5, 6, 4, (1, 1), (1, 1))),
    "k2x3_s1x2_nonsquare": ("INT3", _parallel(6, 9, 3, (2, 3), (1, 2))),
    "k2_s3_gaps_u4": ("UINT4", _parallel(8, 11, 2, (2, 2), (3, 3))),
    "k3x1_one_column_s2": ("INT2", _parallel(7, 1, 2, (3, 1), (2, 1))),
}


@pytest.mark.parametrize("dtype,attrs", PARALLEL_CASES.values(), ids=PARALLEL_CASES.keys())
def test_sliding_window_parallel(dtype, attrs, build_rtl):
    """A whole window a word (finnflow_swg_parallel): one pixel a cycle, images back to back."""
    exp = _run_layer("ConvolutionInputGenerator", dtype, attrs, build_rtl, seed=len(str(attrs)))
    h, w = attrs["IFMDim"]
    assert exp == h * w


def test_sliding_window_parallel_needs_simd_c():
    """The RTL mapping refuses a parallel window whose SIMD is not the channel count."""
    attrs = _swg(8, 8, 4, 2, (3, 3), (1, 1), parallel=1)
    model, _ = _layer("ConvolutionInputGenerator", "INT4", 1, **attrs)
    with pytest.raises(FoldingError, match="parallel_window=1 needs SIMD = IFMChannels = 4"):
        rtl_layer(model, model.graph.node[0]).instances(None)


# ----------------------------------------------------------------------------- max pool
def _pool(h, w, c, pe, k):
    return dict(ImgDim=[h, w], PoolDim=list(k), NumChannels=c, PE=pe)


POOL_CASES = {
    "even_2x2_pe1_s4": ("INT4", _pool(8, 8, 4, 1, (2, 2))),
    "odd_2x2_peC_u3": ("UINT3", _pool(7, 9, 3, 3, (2, 2))),
    "odd_3x2_pe2_bin": ("BINARY", _pool(7, 5, 4, 2, (3, 2))),
    "k1_pe1_s8": ("INT8", _pool(3, 4, 2, 1, (1, 1))),
}


@pytest.mark.parametrize("dtype,attrs", POOL_CASES.values(), ids=POOL_CASES.keys())
def test_maxpool(dtype, attrs, build_rtl):
    exp = _run_layer("StreamingMaxPool", dtype, attrs, build_rtl, seed=len(str(attrs)))
    h, w = attrs["ImgDim"]
    assert exp == h * w * attrs["NumChannels"] // attrs["PE"]


# ----------------------------------------------------------------------------- padding
def _pad(h, w, c, simd, pad):
    return dict(ImgDim=[h, w], Padding=list(pad), NumChannels=c, SIMD=simd)


PAD_CASES = {
    "asym_simd1_s4": ("INT4", _pad(5, 4, 3, 1, (1, 2, 0, 3))),
    "asym_simdC_u2": ("UINT2", _pad(4, 6, 4, 4, (2, 0, 1, 1))),
    "none_simd2_s8": ("INT8", _pad(3, 3, 2, 2, (0, 0, 0, 0))),
}


@pytest.mark.parametrize("dtype,attrs", PAD_CASES.values(), ids=PAD_CASES.keys())
def test_fmpadding(dtype, attrs, build_rtl):
    exp = _run_layer("FMPadding", dtype, attrs, build_rtl, seed=len(str(attrs)))
    (h, w), (t, lft, b, r) = attrs["ImgDim"], attrs["Padding"]
    assert exp == (h + t + b) * (w + lft + r) * attrs["NumChannels"] // attrs["SIMD"]


# ----------------------------------------------------------------------------- synthesis
SYNTH_CASES = {
    "swg_block": (
        "ConvolutionInputGenerator",
        "UINT2",
        _swg(32, 32, 64, 4, (3, 3), (1, 1), "block"),
    ),
    "swg_lutram": ("ConvolutionInputGenerator", "INT4", _swg(9, 9, 8, 2, (2, 2), (3, 3))),
    "swg_parallel_cnv": (
        "ConvolutionInputGenerator",
        "UINT8",
        _parallel(32, 32, 3, (3, 3), (1, 1)),
    ),
    "swg_parallel_block": (
        "ConvolutionInputGenerator",
        "INT4",
        _parallel(16, 16, 16, (3, 3), (1, 1), "block"),
    ),
    "maxpool": ("StreamingMaxPool", "INT4", _pool(16, 16, 8, 2, (2, 2))),
    "fmpadding": ("FMPadding", "UINT4", _pad(16, 16, 8, 4, (1, 1, 1, 1))),
}


@pytest.mark.parametrize("op_type,dtype,attrs", SYNTH_CASES.values(), ids=SYNTH_CASES.keys())
def test_synth_xilinx(op_type, dtype, attrs, yosys_exe, tmp_path):
    """Each module maps with Yosys synth_xilinx: no DSP, block RAM exactly as estimated, LUTs
    and FFs near the calibrated estimate (a fresh run: the synthesis cache is the test's)."""
    model, op = _layer(op_type, dtype, 1, **attrs)
    res = synthesize_node(model, model.graph.node[0], "xc7", tmp_path, cache_dir=tmp_path / "c")
    assert not res.cached and res.dsp == 0
    assert res.bram18 == op.bram_estimation()
    assert abs(op.lut_estimation() - res.lut) <= 0.3 * res.lut, (op.lut_estimation(), res.lut)
    assert abs(op.ff_estimation() - res.ff) <= 0.3 * res.ff, (op.ff_estimation(), res.ff)


# ----------------------------------------------------------------------------- stitched
def _conv_model(nodes, name: str, x_shape, y_shape, w, t) -> ModelWrapper:
    """A graph of ``nodes`` from a UINT4 image ``x`` to ``y``, with INT2 weights ``w`` and INT16
    thresholds ``t``, shapes and datatypes inferred and nodes named."""
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
    )
    model = ModelWrapper(qonnx_make_model(graph))
    model.set_tensor_datatype("x", DataType["UINT4"])
    for tensor, value, dt in (("w", w, "INT2"), ("t", t, "INT16")):
        model.set_initializer(tensor, value.astype(np.float32))
        model.set_tensor_datatype(tensor, DataType[dt])
    model = model.transform(InferShapes()).transform(InferDataTypes())
    return model.transform(GiveUniqueNodeNames())


def _conv_block(rng) -> ModelWrapper:
    """FMPadding -> 3x3 sliding window -> MVAU with thresholds -> 2x2 max pool over a 6x6x3
    UINT4 image: a padded convolution with activation and pooling, as a CNV layer is."""
    h, c, cout, k = 6, 3, 4, 3
    w = rng.integers(-2, 2, size=(k * k * c, cout))
    acc = rng.integers(0, 16, size=(200, k * k * c)) @ w  # thresholds inside the accumulator range
    t = np.sort(rng.choice(acc.ravel(), size=(cout, 3)), axis=1)
    common = dict(domain=DOMAIN, numInputVectors=[1])
    nodes = [
        helper.make_node(
            "FMPadding",
            ["x"],
            ["padded"],
            ImgDim=[h, h],
            Padding=[1, 1, 1, 1],
            NumChannels=c,
            SIMD=c,
            inputDataType="UINT4",
            outputDataType="UINT4",
            **common,
        ),
        helper.make_node(
            "ConvolutionInputGenerator",
            ["padded"],
            ["cols"],
            ConvKernelDim=[k, k],
            IFMChannels=c,
            IFMDim=[h + 2, h + 2],
            OFMDim=[h, h],
            Stride=[1, 1],
            SIMD=c,
            inputDataType="UINT4",
            outputDataType="UINT4",
            **common,
        ),
        helper.make_node(
            "MVAU",
            ["cols", "w", "t"],
            ["act"],
            domain=DOMAIN,
            MW=k * k * c,
            MH=cout,
            SIMD=9,
            PE=2,
            inputDataType="UINT4",
            weightDataType="INT2",
            outputDataType="UINT2",
            accDataType="INT16",
            numInputVectors=[1, h, h],
        ),
        helper.make_node(
            "StreamingMaxPool",
            ["act"],
            ["y"],
            ImgDim=[h, h],
            PoolDim=[2, 2],
            NumChannels=cout,
            PE=2,
            inputDataType="UINT2",
            outputDataType="UINT2",
            **common,
        ),
    ]
    return _conv_model(nodes, "conv_block", [1, h, h, c], [1, h // 2, h // 2, cout], w, t)


def test_stitched_conv_block(tmp_path):
    """The generated RTL of a padded convolution with pooling, stitched with its width
    converters and FIFOs, equals the graph's execution bit for bit at the estimated cycles per
    image (the sliding window's output words)."""
    rng = np.random.default_rng(5)
    model = stitch(_conv_block(rng))
    frames = 6
    x = rng.integers(0, 16, size=(frames, 6, 6, 3)).astype(np.float32)
    y = execute(model, x)["y"]
    assert len(np.unique(y)) > 2
    _, res = simulate_stitched(model, x, tmp_path)
    assert np.array_equal(res.outputs, y.reshape(frames, -1))
    assert expected_cycles(model) == 6 * 6 * 9
    assert res.cycles_per_frame == expected_cycles(model)


def _parallel_conv(rng, h: int, c: int, cout: int, k: int) -> ModelWrapper:
    """A 3x3 parallel sliding window over an h x h x c UINT4 image -> MVAU with thresholds that
    takes a whole window a cycle (SIMD = k*k*c, PE = cout)."""
    mw = k * k * c
    w = rng.integers(-2, 2, size=(mw, cout))
    acc = rng.integers(0, 16, size=(200, mw)) @ w
    t = np.sort(rng.choice(acc.ravel(), size=(cout, 3)), axis=1)
    oh = h - k + 1
    nodes = [
        helper.make_node(
            "ConvolutionInputGenerator",
            ["x"],
            ["cols"],
            domain=DOMAIN,
            numInputVectors=[1],
            ConvKernelDim=[k, k],
            IFMChannels=c,
            IFMDim=[h, h],
            OFMDim=[oh, oh],
            Stride=[1, 1],
            SIMD=c,
            parallel_window=1,
            inputDataType="UINT4",
            outputDataType="UINT4",
        ),
        helper.make_node(
            "MVAU",
            ["cols", "w", "t"],
            ["y"],
            domain=DOMAIN,
            MW=mw,
            MH=cout,
            SIMD=mw,
            PE=cout,
            inputDataType="UINT4",
            weightDataType="INT2",
            outputDataType="UINT2",
            accDataType="INT16",
            numInputVectors=[1, oh, oh],
        ),
    ]
    return _conv_model(nodes, "parallel_conv", [1, h, h, c], [1, oh, oh, cout], w, t)


def test_stitched_parallel_window_conv(tmp_path):
    """A CNV-like first layer (3 channels, 3x3) with a parallel window feeding an MVAU that
    takes a window a cycle: no width converter between them, bit-exact against the graph's
    execution, one image per H*W cycles back to back (the window's input pixels)."""
    rng = np.random.default_rng(9)
    h = 8
    model = stitch(_parallel_conv(rng, h, 3, 4, 3))
    assert [n.op_type for n in model.graph.node] == [
        "ConvolutionInputGenerator",
        "StreamingFIFO",
        "MVAU",
    ]
    frames = 6
    x = rng.integers(0, 16, size=(frames, h, h, 3)).astype(np.float32)
    y = execute(model, x)["y"]
    assert len(np.unique(y)) > 2
    _, res = simulate_stitched(model, x, tmp_path)
    assert np.array_equal(res.outputs, y.reshape(frames, -1))
    assert expected_cycles(model) == h * h
    assert res.cycles_per_frame == expected_cycles(model)
