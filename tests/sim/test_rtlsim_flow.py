"""Generated RTL of whole networks, simulated cycle-accurately with Verilator on real digits test
images: outputs equal the Python execution of the hardware layers bit for bit, and the measured
cycles per frame match the analytical estimate of the slowest layer."""

import numpy as np
import pytest

from finnflow.build import run_build
from finnflow.execute import execute
from finnflow.export import load_model
from finnflow.folding import ApplyFolding
from finnflow.hw.estimate import estimate_network
from finnflow.sim.rtlsim import simulate_stitched

FRAMES = 100
HIDDEN = [16, 16]
PRECISIONS = [("w1a1", 1), ("w2a2", 8), ("w4a4", 8), ("w8a8", 8), ("w2a4", 4)]
FOLDINGS = {
    "folded": {f"MVAU_{i}": {"PE": 1, "SIMD": 1} for i in range(3)} | {"LabelSelect_0": {"PE": 1}},
    "mixed": {
        "MVAU_0": {"PE": 4, "SIMD": 8},
        "MVAU_1": {"PE": 16, "SIMD": 2},
        "MVAU_2": {"PE": 5, "SIMD": 4},
        "LabelSelect_0": {"PE": 2},
    },
    "unfolded": {
        "MVAU_0": {"PE": 16, "SIMD": 64},
        "MVAU_1": {"PE": 16, "SIMD": 16},
        "MVAU_2": {"PE": 10, "SIMD": 16},
        "LabelSelect_0": {"PE": 10},
    },
}


SLOW = {("w4a4", "unfolded"), ("w8a8", "unfolded"), ("w2a4", "unfolded")}
CASES = [
    pytest.param(p, b, f, id=f"{p}-i{b}-{f}", marks=[pytest.mark.slow] if (p, f) in SLOW else [])
    for p, b in PRECISIONS
    for f in FOLDINGS
]


@pytest.fixture(scope="module")
def small_build(build_dir, digits, quick_config):
    """Trained, converted builds per precision, made once per module."""
    cache = {}

    def get(precision, input_bits):
        if (precision, input_bits) not in cache:
            cfg = quick_config(precision, input_bits, hidden=HIDDEN)
            out = build_dir / f"rtlsim-{cfg.name}"
            run_build(cfg, out)
            pre = load_model(out / "preprocess.onnx")
            x_int = execute(pre, digits.x_test[:FRAMES])[pre.graph.output[0].name]
            cache[precision, input_bits] = out, load_model(out / "dataflow.onnx"), x_int
        return cache[precision, input_bits]

    return get


@pytest.mark.parametrize("precision, input_bits, folding", CASES)
def test_rtlsim_matches_python_and_estimate(
    small_build, precision, input_bits, folding, verilator_tool
):
    out, dataflow, x_int = small_build(precision, input_bits)
    model = dataflow.transform(ApplyFolding(FOLDINGS[folding]))
    expected = execute(model, x_int)[model.graph.output[0].name].reshape(FRAMES, -1)
    _, result = simulate_stitched(model, x_int, out / f"rtl-{folding}")
    assert result.outputs.shape == expected.shape
    assert np.array_equal(result.outputs, expected.astype(np.int64))
    estimate = estimate_network(model, 100.0)["max_cycles"]
    assert abs(result.cycles_per_frame - estimate) <= 0.05 * estimate, (
        result.cycles_per_frame,
        estimate,
    )
    assert result.latency_cycles >= result.cycles_per_frame
