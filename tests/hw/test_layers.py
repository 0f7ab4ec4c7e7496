"""Hardware-layer execution against plain integer arithmetic, and per-layer estimates."""

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from finnflow.errors import FoldingError
from finnflow.hw import DOMAIN


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
