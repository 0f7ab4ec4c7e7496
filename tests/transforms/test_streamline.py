import numpy as np
import pytest

from finnflow.build import run_build
from finnflow.datatypes import is_integer
from finnflow.export import load_model
from finnflow.transforms.streamline import compute_thresholds


@pytest.fixture(scope="module")
def w1a1_build(build_dir, quick_config):
    cfg = quick_config("w1a1", 1)
    out = build_dir / "streamline-w1a1"
    run_build(cfg, out)
    return out


def test_streamlined_graph_is_integer(w1a1_build):
    model = load_model(w1a1_build / "streamlined.onnx")
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("MatMul") == 3 and ops.count("MultiThreshold") == 2
    assert "BatchNormalization" not in ops and "Quant" not in ops[ops.index("MatMul") :]
    for node in model.get_nodes_by_op_type("MatMul"):
        assert is_integer(model.get_tensor_datatype(node.input[0]))
        assert model.get_tensor_datatype(node.input[1]).name == "BIPOLAR"


def test_binary_layers_use_xnor(w1a1_build):
    from qonnx.custom_op.registry import getCustomOp

    model = load_model(w1a1_build / "hw.onnx")
    mvaus = [getCustomOp(n) for n in model.get_nodes_by_op_type("MVAU")]
    assert [m.get_nodeattr("binaryXnorMode") for m in mvaus] == [1, 1, 1]
    assert model.get_nodes_by_op_type("LabelSelect")


def test_compute_thresholds_matches_brute_force():
    rng = np.random.default_rng(0)
    scale = rng.uniform(0.2, 3.0, size=5)
    bias = rng.uniform(-4, 4, size=5)

    def level(x):
        return np.clip(np.round(x * scale + bias), -2, 1) + 2

    lo, hi = np.full(5, -20), np.full(5, 20)
    t = compute_thresholds(level, lo, hi, 3)
    xs = np.arange(-20, 21)[:, None] * np.ones((1, 5))
    expected = level(xs)
    counted = (xs[:, None, :] >= t[None, :, :]).sum(axis=1)
    assert np.array_equal(counted, expected)
