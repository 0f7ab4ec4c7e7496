"""The pre- and post-processing as data: the driver's numpy operations, exported from a build's
preprocess.onnx and postprocess.onnx, compute exactly what the graphs compute (float32, as the
build executes them), on every digits test image and on random inputs beyond the data's range;
the bipolar input of w1a1 and the software argmax of w2a1 included."""

import numpy as np
import pytest
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import qonnx_make_model

from finnflow.build import run_build
from finnflow.deploy.driver import run_processing
from finnflow.deploy.processing import export_processing
from finnflow.errors import UnsupportedOpError
from finnflow.execute import execute
from finnflow.export import load_model

CASES = [("w2a2", 8), ("w1a1", 1), ("w2a1", 8), ("w4a4", 4)]


@pytest.fixture(scope="module")
def partitioned(build_dir, quick_config):
    cache = {}

    def get(precision, input_bits):
        if (precision, input_bits) not in cache:
            cfg = quick_config(precision, input_bits, epochs=1, hidden=[16])
            out = build_dir / f"processing-{cfg.name}"
            run_build(cfg, out, stop_step="partition")
            post = out / "postprocess.onnx"
            cache[precision, input_bits] = (
                load_model(out / "preprocess.onnx"),
                load_model(out / "dataflow.onnx"),
                load_model(post) if post.is_file() else None,
            )
        return cache[precision, input_bits]

    return get


@pytest.mark.parametrize("precision, input_bits", CASES)
def test_numpy_processing_equals_the_onnx_graphs(partitioned, digits, precision, input_bits):
    pre, dataflow, post = partitioned(precision, input_bits)
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            digits.x_test,
            rng.uniform(-0.5, 1.5, size=(500, digits.x_test.shape[1])),
            np.round(rng.uniform(0, 1, size=(200, digits.x_test.shape[1])) * 256) / 256,
        ]
    ).astype(np.float32)
    ops, arrays = export_processing(pre, "pre")
    assert all(a.dtype == np.float32 for a in arrays.values())
    mine = run_processing(ops, arrays, x)
    reference = execute(pre, x)[pre.graph.output[0].name]
    assert mine.dtype == reference.dtype and np.array_equal(mine, reference)
    assert np.array_equal(mine, np.round(mine))
    if post is None:
        assert precision != "w2a1"
        assert export_processing(None, "post") == ([], {})
        return
    ops, arrays = export_processing(post, "post")
    assert [op["op"] for op in ops][-1] == "argmax"
    y = execute(dataflow, reference)[dataflow.graph.output[0].name]
    wide = rng.integers(-40, 40, size=(1000, *y.shape[1:])).astype(np.float32)
    for outputs in (y, wide):
        labels = run_processing(ops, arrays, outputs)
        assert np.array_equal(labels, execute(post, outputs)["label"])


def test_quant_rounding_modes_follow_qonnx():
    """Each QONNX rounding mode of a Quant node, on values at and around the ties."""
    from qonnx.custom_op.general.intquant import int_quant

    x = (np.arange(-40, 41, dtype=np.float32) / 4).reshape(1, -1)
    for mode in ("ROUND", "HALF_EVEN", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN"):
        for signed, narrow in ((1, 0), (1, 1), (0, 0), (0, 1)):
            consts = [np.float32(0.5), np.float32(0), np.float32(3)]
            op = {"op": "quant", "scale": "s", "zeropt": "z", "bitwidth": "b"}
            op |= {"signed": signed, "narrow": narrow, "rounding_mode": mode}
            arrays = dict(zip("szb", map(np.asarray, consts), strict=True))
            mine = run_processing([op], arrays, x)
            reference = int_quant(x, *map(np.asarray, consts), signed, narrow, mode)
            assert np.array_equal(mine, reference), (mode, signed, narrow)


def _graph(nodes, inits) -> ModelWrapper:
    vi = helper.make_tensor_value_info
    graph = helper.make_graph(
        nodes,
        "preprocess",
        [vi("x", TensorProto.FLOAT, [1, 4])],
        [vi("y", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor(k, TensorProto.FLOAT, [], [v]) for k, v in inits.items()],
    )
    return ModelWrapper(qonnx_make_model(graph))


def test_constant_first_operand_keeps_its_place():
    model = _graph([helper.make_node("Sub", ["c", "x"], ["y"])], {"c": 1.0})
    ops, arrays = export_processing(model, "pre")
    assert ops == [{"op": "sub", "const": "pre0_0", "const_first": True}]
    x = np.array([[0.0, 0.25, 1.0, 3.0]], dtype=np.float32)
    assert np.array_equal(run_processing(ops, arrays, x), 1 - x)


@pytest.mark.parametrize(
    "nodes, match",
    [
        ([helper.make_node("Sin", ["x"], ["y"])], "cannot apply Sin"),
        ([helper.make_node("Add", ["x", "x"], ["y"])], "chains of operations"),
    ],
)
def test_what_the_driver_cannot_apply_is_named(nodes, match):
    with pytest.raises(UnsupportedOpError, match=match):
        export_processing(_graph(nodes, {}), "pre")
