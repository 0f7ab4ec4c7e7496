"""Sliding window, max pool and padding layers: execution against independent references (qonnx's
Im2Col, torch's unfold, max_pool2d, pad and conv2d), shapes, folding and attribute errors, cycles
and resource estimates."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.registry import getCustomOp
from qonnx.util.basic import qonnx_make_model

from finnflow.errors import FoldingError, UnsupportedOpError
from finnflow.folding import ApplyFolding
from finnflow.folding.optimize import layer_options
from finnflow.hw import DOMAIN
from finnflow.hw.base import bram18_count, lutram_luts


def _one_node_model(node, x_shape, y_shape) -> ModelWrapper:
    """A graph of the single ``node`` from ``x`` to ``y`` (shape None: left to inference)."""
    graph = helper.make_graph(
        [node],
        node.op_type,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)],
    )
    return ModelWrapper(qonnx_make_model(graph))


def _op(op_type, dtype="INT4", n=1, **attrs):
    node = helper.make_node(
        op_type,
        ["x"],
        ["y"],
        domain=DOMAIN,
        name=f"{op_type}_0",
        inputDataType=dtype,
        outputDataType=dtype,
        numInputVectors=[n],
        **attrs,
    )
    return getCustomOp(node)


def _swg(h, w, c, k, s, simd=1, dtype="INT4", n=1, **attrs):
    oh, ow = (h - k[0]) // s[0] + 1, (w - k[1]) // s[1] + 1
    return _op(
        "ConvolutionInputGenerator",
        dtype,
        n,
        IFMDim=[h, w],
        IFMChannels=c,
        ConvKernelDim=list(k),
        Stride=list(s),
        OFMDim=[oh, ow],
        SIMD=simd,
        **attrs,
    )


def _pool(h, w, c, k, pe=1, dtype="INT4", n=1, **attrs):
    return _op(
        "StreamingMaxPool", dtype, n, ImgDim=[h, w], PoolDim=list(k), NumChannels=c, PE=pe, **attrs
    )


def _pad(h, w, c, pad, simd=1, dtype="INT4", n=1):
    return _op("FMPadding", dtype, n, ImgDim=[h, w], Padding=list(pad), NumChannels=c, SIMD=simd)


def _images(op, seed):
    dt = op.get_input_datatype()
    rng = np.random.default_rng(seed)
    x = rng.integers(int(dt.min()), int(dt.max()) + 1, size=op.get_normal_input_shape())
    return x.astype(np.float32)


def _run(op, x):
    ctx = {"x": x}
    op.execute_node(ctx, None)
    y = ctx["y"]
    assert list(y.shape) == op.get_normal_output_shape() and y.dtype == x.dtype
    return y


def _nchw(x):
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)).astype(np.float64))


# ----------------------------------------------------------------------------- sliding window
SWG_SHAPES = [
    # h, w, c, kernel, stride, batch, datatype
    (8, 8, 4, (3, 3), (1, 1), 2, "UINT2"),
    (9, 7, 3, (3, 3), (2, 2), 1, "INT8"),
    (5, 6, 4, (1, 1), (1, 1), 3, "BINARY"),
    (6, 9, 2, (2, 3), (1, 2), 2, "INT3"),
    (8, 11, 2, (2, 2), (3, 3), 2, "UINT4"),
    (4, 8, 5, (3, 1), (1, 2), 1, "INT2"),
    (7, 7, 1, (7, 7), (1, 1), 2, "UINT8"),
]


@pytest.mark.parametrize("h,w,c,k,s,n,dtype", SWG_SHAPES)
def test_sliding_window_matches_unfold(h, w, c, k, s, n, dtype):
    op = _swg(h, w, c, k, s, dtype=dtype, n=n)
    x = _images(op, h * w + c)
    y = _run(op, x)
    oh, ow = op.get_nodeattr("OFMDim")
    cols = F.unfold(_nchw(x), kernel_size=k, stride=s)  # [n, c*kh*kw, oh*ow], c slowest
    ref = cols.reshape(n, c, k[0] * k[1], oh, ow).permute(0, 3, 4, 2, 1).reshape(n, oh, ow, -1)
    assert np.array_equal(y, ref.numpy())


@pytest.mark.parametrize("h,w,c,k,s", [(8, 8, 4, (3, 3), (1, 1)), (7, 9, 3, (2, 3), (3, 2))])
def test_sliding_window_matches_qonnx_im2col(h, w, c, k, s):
    """One image: qonnx's Im2Col execution mixes up the images of a larger batch."""
    op = _swg(h, w, c, k, s, dtype="INT4", n=1)
    x = _images(op, 7)
    node = helper.make_node(
        "Im2Col",
        ["x"],
        ["y"],
        domain="qonnx.custom_op.general",
        stride=list(s),
        kernel_size=list(k),
        input_shape=str(tuple(op.get_normal_input_shape())),
    )
    model = _one_node_model(node, list(x.shape), None)
    model.set_tensor_datatype("x", DataType["INT4"])
    ref = execute_onnx(model, {"x": x})["y"]
    assert np.array_equal(_run(op, x), ref)


def test_sliding_window_then_mvau_is_a_convolution():
    """The window order (ky, kx, c) is the one an MVAU with weights
    W.transpose(2, 3, 1, 0).reshape(kh*kw*C, Cout) needs to compute conv2d."""
    n, h, w, c, cout, k, s = 2, 7, 6, 3, 5, (3, 2), (2, 1)
    swg = _swg(h, w, c, k, s, dtype="INT4", n=n)
    x = _images(swg, 11)
    cols = _run(swg, x)
    oh, ow = swg.get_nodeattr("OFMDim")
    weights = np.random.default_rng(12).integers(-8, 8, size=(cout, c, *k))
    mw = k[0] * k[1] * c
    mvau = getCustomOp(
        helper.make_node(
            "MVAU",
            ["cols", "w"],
            ["y"],
            domain=DOMAIN,
            MW=mw,
            MH=cout,
            PE=1,
            SIMD=1,
            inputDataType="INT4",
            weightDataType="INT4",
            outputDataType="INT16",
            accDataType="INT16",
            noActivation=1,
            numInputVectors=[n, oh, ow],
        )
    )
    ctx = {"cols": cols, "w": weights.transpose(2, 3, 1, 0).reshape(mw, cout).astype(np.float32)}
    mvau.execute_node(ctx, None)
    ref = F.conv2d(_nchw(x), torch.from_numpy(weights.astype(np.float64)), stride=s)
    assert np.array_equal(np.asarray(ctx["y"]).reshape(n, oh, ow, cout), ref.permute(0, 2, 3, 1))


def test_sliding_window_shapes_and_streams():
    op = _swg(8, 10, 6, (3, 3), (1, 2), simd=3, dtype="UINT2", n=4)
    assert op.get_nodeattr("OFMDim") == [6, 4]
    assert op.get_folded_input_shape() == [4, 8, 10, 2, 3]
    assert op.get_folded_output_shape() == [4, 6, 4, 18, 3]
    assert op.get_normal_input_shape() == [4, 8, 10, 6]
    assert op.get_normal_output_shape() == [4, 6, 4, 54]
    assert op.get_instream_width() == op.get_outstream_width() == 6
    assert op.get_number_input_values() == 4 * 8 * 10 * 2
    assert op.get_number_output_values() == 4 * 6 * 4 * 18
    assert op.get_folding_space() == {
        "SIMD": [1, 2, 3, 6],
        "parallel_window": [0, 1],
        "ram_style": ["distributed", "block"],
    }


@pytest.mark.parametrize(
    "h,w,c,k,s,simd,cycles",
    [
        (8, 8, 4, (3, 3), (1, 1), 1, 6 * 6 * 9 * 4),  # output-bound
        (8, 8, 4, (3, 3), (1, 1), 4, 6 * 6 * 9),
        (9, 9, 2, (2, 2), (3, 3), 2, 9 * 9),  # input-bound: rows between windows
        (5, 6, 4, (1, 1), (1, 1), 2, 5 * 6 * 2),  # as many words out as in
    ],
)
def test_sliding_window_cycles(h, w, c, k, s, simd, cycles):
    op = _swg(h, w, c, k, s, simd=simd)
    assert op.get_exp_cycles() == cycles
    op.set_batch_size(3)
    assert op.get_exp_cycles() == 3 * cycles


def test_sliding_window_buffer_and_resources():
    op = _swg(32, 32, 64, (3, 3), (1, 1), simd=4, dtype="UINT2", ram_style="block")
    assert op.buffer_rows() == 6
    assert op.buffer_memory() == (8, 6 * 32 * 16)
    assert op.bram_estimation() == bram18_count(8, 6 * 32 * 16) == 2  # 24 Kbit
    op.set_nodeattr("ram_style", "distributed")
    assert op.bram_estimation() == 0
    luts_lutram = op.lut_estimation()
    op.set_nodeattr("ram_style", "auto")  # 3072 words of 8 bits: block RAM
    assert op.uses_bram() and op.lut_estimation() < luts_lutram
    small = _swg(4, 4, 2, (2, 2), (1, 1), dtype="UINT2")  # 32 words: LUT RAM
    assert not small.uses_bram() and small.bram_estimation() == 0
    assert 0 < small.lut_estimation() < luts_lutram and small.ff_estimation() > 0


def test_sliding_window_folding_and_attribute_errors():
    with pytest.raises(
        FoldingError,
        match=r"ConvolutionInputGenerator_0: SIMD=3 does not divide IFMChannels=8; "
        r"valid SIMD values are \[1, 2, 4, 8\]",
    ):
        _swg(8, 8, 8, (3, 3), (1, 1), simd=3).verify_folding()
    bad = {
        "Dilation=\\[1, 1\\]": dict(Dilation=[2, 2]),
        "depthwise=0": dict(depthwise=1),
    }
    for message, attrs in bad.items():
        op = _swg(8, 8, 4, (3, 3), (1, 1), **attrs)
        with pytest.raises(UnsupportedOpError, match=message):
            op.execute_node({"x": _images(op, 0)}, None)
        assert any("ConvolutionInputGenerator_0" in m for m in op.verify_node())
    op = _swg(8, 8, 4, (3, 3), (1, 1))
    op.set_nodeattr("Stride", [0, 1])
    with pytest.raises(UnsupportedOpError, match=r"stride \[0, 1\] do not fit"):
        op.check_supported()
    op = _swg(8, 8, 4, (3, 3), (1, 1))
    op.set_nodeattr("OFMDim", [8, 8])
    with pytest.raises(UnsupportedOpError, match=r"OFMDim=\[8, 8\].* gives \[6, 6\]"):
        op.check_supported()
    op = _swg(8, 8, 4, (3, 3), (1, 1))
    op.set_nodeattr("outputDataType", "INT8")
    with pytest.raises(UnsupportedOpError, match="INT4 and outputDataType INT8 must be equal"):
        op.check_supported()
    assert _swg(8, 8, 4, (3, 3), (1, 1)).verify_node() == []


def test_infer_datatype():
    op = _swg(4, 4, 2, (2, 2), (1, 1), dtype="INT3")
    model = _one_node_model(op.onnx_node, [1, 4, 4, 2], [1, 3, 3, 8])
    op.infer_node_datatype(model)
    assert model.get_tensor_datatype("y") == DataType["INT3"]


@pytest.mark.parametrize("h,w,c,k,s,n,dtype", SWG_SHAPES)
def test_parallel_window_matches_normal(h, w, c, k, s, n, dtype):
    """A parallel window carries the same elements in the same order as SIMD = C, a whole
    window a word instead of kh*kw words; the input stream is the same."""
    normal = _swg(h, w, c, k, s, simd=c, dtype=dtype, n=n)
    par = _swg(h, w, c, k, s, simd=c, dtype=dtype, n=n, parallel_window=1)
    x = _images(par, h + w + c + 1)
    assert np.array_equal(_run(par, x), _run(normal, x))
    oh, ow = par.get_nodeattr("OFMDim")
    assert par.get_folded_input_shape() == normal.get_folded_input_shape() == [n, h, w, 1, c]
    assert par.get_folded_output_shape() == [n, oh, ow, 1, k[0] * k[1] * c]
    assert normal.get_folded_output_shape() == [n, oh, ow, k[0] * k[1], c]
    assert par.get_outstream_width() == normal.get_outstream_width() * k[0] * k[1]
    assert par.get_number_output_values() == n * oh * ow
    assert par.verify_node() == []


@pytest.mark.parametrize(
    "h,w,c,k,s",
    [
        (8, 8, 3, (3, 3), (1, 1)),  # CNV-like first layer: 64 cycles, not 6*6*9
        (9, 9, 2, (3, 3), (2, 2)),
        (6, 5, 4, (2, 2), (1, 1)),
        (5, 6, 4, (1, 1), (1, 1)),
        (6, 9, 3, (2, 3), (1, 2)),
    ],
)
def test_parallel_window_cycles(h, w, c, k, s):
    """One input pixel a cycle, a window emitted with the pixel that completes it."""
    op = _swg(h, w, c, k, s, simd=c, parallel_window=1)
    assert op.get_exp_cycles() == h * w
    op.set_batch_size(3)
    assert op.get_exp_cycles() == 3 * h * w


def test_parallel_window_folding():
    """Parallel windows need SIMD = IFMChannels: verify_folding says so and how to fix it, the
    optimizer's options hold no other combination, and a FINN folding config may set it."""
    op = _swg(8, 8, 4, (3, 3), (1, 1), simd=2, parallel_window=1)
    with pytest.raises(
        FoldingError,
        match=r"ConvolutionInputGenerator_0: parallel_window=1 needs SIMD = IFMChannels = 4 .*"
        r"but SIMD=2; set SIMD=4 or parallel_window=0",
    ):
        op.verify_folding()
    assert any("parallel_window=1 needs SIMD" in m for m in op.verify_node())
    assert "parallel_window" in op.get_folding_attrs()
    options = [o.attrs for o in layer_options(op)]
    assert len(options) == 3 * 2 + 2  # SIMD 1, 2, 4 x two memories; the parallel window x two
    assert all(o["SIMD"] == 4 for o in options if o["parallel_window"])
    assert {(o["SIMD"], o["parallel_window"]) for o in options} == {(1, 0), (2, 0), (4, 0), (4, 1)}
    assert (op.get_nodeattr("SIMD"), op.get_nodeattr("parallel_window")) == (2, 1)  # restored

    model = _one_node_model(op.onnx_node, [1, 8, 8, 4], [1, 6, 6, 36])
    name = op.onnx_node.name
    model = model.transform(ApplyFolding({name: {"SIMD": 4, "parallel_window": 1}}))
    folded = getCustomOp(model.graph.node[0])
    assert folded.get_folded_output_shape() == [1, 6, 6, 1, 36]
    with pytest.raises(FoldingError, match="parallel_window=1 needs SIMD"):
        model.transform(ApplyFolding({name: {"SIMD": 1}}))


def test_parallel_window_buffer_and_resources():
    """kh - 1 rows of line buffer, an image column a word: cheap for few channels."""
    op = _swg(32, 32, 3, (3, 3), (1, 1), simd=3, dtype="UINT8", parallel_window=1)
    assert op.buffer_rows() == 2 and op.buffer_memory() == (2 * 3 * 8, 32)
    assert not op.uses_bram() and op.bram_estimation() == 0
    feats = op.resource_features("lut")
    assert feats["line_buffer"] == lutram_luts(48, 32)[0] == 32
    assert op.resource_features("ff")["window"] == 9 * 3 * 8
    assert 0 < op.lut_estimation() < 100 and 300 < op.ff_estimation() < 400
    op.set_nodeattr("ram_style", "block")
    assert op.bram_estimation() == bram18_count(48, 32) == 2
    assert op.resource_features("lut")["line_buffer"] == 0
    for k, w in (((1, 1), 32), ((3, 1), 1)):  # no line buffer; the line buffer is a register
        op = _swg(8, w, 3, k, (1, 1), simd=3, ram_style="block", parallel_window=1)
        assert not op.has_memory() and op.bram_estimation() == 0


# ----------------------------------------------------------------------------- max pool
POOL_SHAPES = [
    # h, w, c, kernel, pe, batch, datatype
    (8, 8, 4, (2, 2), 1, 2, "INT4"),
    (7, 9, 3, (2, 2), 3, 3, "UINT3"),  # odd: the last row and column are dropped
    (7, 5, 4, (3, 2), 2, 1, "BINARY"),
    (6, 6, 2, (3, 3), 2, 2, "INT8"),
    (3, 4, 2, (1, 1), 1, 1, "INT2"),
]


@pytest.mark.parametrize("h,w,c,k,pe,n,dtype", POOL_SHAPES)
def test_maxpool_matches_torch(h, w, c, k, pe, n, dtype):
    op = _pool(h, w, c, k, pe=pe, dtype=dtype, n=n)
    x = _images(op, h * w * c)
    y = _run(op, x)
    ref = F.max_pool2d(_nchw(x), kernel_size=k).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(y, ref)
    assert not np.array_equal(y, ref - 1)


def test_maxpool_signed_order():
    """Negative values pool as negative numbers (INT2's -2 < -1 < 0 < 1)."""
    op = _pool(2, 2, 1, (2, 2), dtype="INT2")
    x = np.array([-2, -1, -2, -2], dtype=np.float32).reshape(1, 2, 2, 1)
    assert _run(op, x).ravel().tolist() == [-1]


def test_maxpool_shapes_cycles_and_errors():
    op = _pool(7, 9, 6, (2, 2), pe=2, dtype="UINT3", n=2)
    assert op.get_folded_input_shape() == [2, 7, 9, 3, 2]
    assert op.get_folded_output_shape() == [2, 3, 4, 3, 2]
    assert op.get_exp_cycles() == 2 * 7 * 9 * 3  # one input word per cycle
    assert op.get_outstream_width() == 6 and op.bram_estimation() == 0
    assert op.lut_estimation() > 0 and op.ff_estimation() > 0
    with pytest.raises(FoldingError, match=r"PE=4 does not divide NumChannels=6; valid PE"):
        _pool(7, 9, 6, (2, 2), pe=4).verify_folding()
    with pytest.raises(UnsupportedOpError, match="CeilMode=0"):
        _pool(7, 9, 6, (2, 2), CeilMode=1).check_supported()
    with pytest.raises(UnsupportedOpError, match=r"PoolDim \[3, 3\] does not fit"):
        _pool(2, 9, 6, (3, 3)).check_supported()


# ----------------------------------------------------------------------------- padding
PAD_SHAPES = [
    # h, w, c, [top, left, bottom, right], simd, batch, datatype
    (5, 4, 3, (1, 2, 0, 3), 1, 2, "INT4"),
    (4, 6, 4, (2, 0, 1, 1), 4, 1, "UINT2"),
    (3, 3, 2, (1, 1, 1, 1), 2, 3, "BINARY"),
    (3, 3, 2, (0, 0, 0, 0), 1, 1, "INT8"),
]


@pytest.mark.parametrize("h,w,c,pad,simd,n,dtype", PAD_SHAPES)
def test_padding_matches_torch(h, w, c, pad, simd, n, dtype):
    op = _pad(h, w, c, pad, simd=simd, dtype=dtype, n=n)
    x = _images(op, h + w + c)
    top, left, bottom, right = pad
    ref = F.pad(_nchw(x), (left, right, top, bottom)).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(_run(op, x), ref)


def test_padding_shapes_cycles_and_errors():
    op = _pad(5, 4, 6, (1, 2, 0, 3), simd=3, n=2)
    assert op.get_folded_input_shape() == [2, 5, 4, 2, 3]
    assert op.get_folded_output_shape() == [2, 6, 9, 2, 3]
    assert op.get_exp_cycles() == 2 * 6 * 9 * 2  # one output word per cycle
    assert op.lut_estimation() > 0 and op.bram_estimation() == 0
    with pytest.raises(FoldingError, match=r"SIMD=4 does not divide NumChannels=6; valid SIMD"):
        _pad(5, 4, 6, (1, 1, 1, 1), simd=4).verify_folding()
    with pytest.raises(UnsupportedOpError, match=r"Padding=\[1, -1, 1, 1\]"):
        _pad(5, 4, 6, (1, -1, 1, 1)).check_supported()
    with pytest.raises(UnsupportedOpError, match="BIPOLAR has no zero"):
        _pad(5, 4, 6, (1, 1, 1, 1), dtype="BIPOLAR").check_supported()
