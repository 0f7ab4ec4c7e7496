"""Generated RTL of whole networks, simulated cycle-accurately with Verilator on real digits test
images: the integer outputs equal the Python execution of the stitched hardware graph bit for
bit, cycles per frame equal the estimate exactly, the top-level streams are whole bytes wide and
the generated top lints clean."""

import os
import re
import subprocess

import numpy as np
import pytest
from qonnx.custom_op.registry import getCustomOp
from stalls import check_under_stalls

from finnflow.build import run_build
from finnflow.execute import execute
from finnflow.export import load_model
from finnflow.folding import ApplyFolding
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import estimate_network
from finnflow.rtl.popcount import MODEL_DEFINE
from finnflow.sim.rtlsim import run_design, simulate_stitched
from finnflow.transforms import stitch
from finnflow.transforms.partition import subgraph

FRAMES = 100
HIDDEN = [16, 16]
PRECISIONS = [("w1a1", 1), ("w2a2", 8), ("w4a4", 8), ("w8a8", 8), ("w2a4", 4), ("w2a1", 8)]
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
# the unfolded designs end at the last MVAU, so their integer outputs (not only labels) are
# compared; w2a1 keeps its argmax in software and never has a LabelSelect
WITHOUT_LABEL_SELECT = {"unfolded"}

SLOW = {("w2a4", "unfolded"), ("w2a2", "unfolded"), ("w8a8", "mixed")}
# A full unfolding (1,024 lanes in the first layer) runs at w1a1 (1-bit inputs) and, in the slow
# suite, w2a4 and w2a2 (one to two minutes each); w4a4 and w8a8 (16 and 64 bit planes per lane) and
# w2a1 run folded and mixed (w8a8 mixed, half a minute to a minute, in the slow suite), and the
# MVAU module tests cover the widest popcounts and plane trees (64 and 128 lanes) at every kind of
# weight.
LEFT_OUT = {("w8a8", "unfolded"), ("w4a4", "unfolded"), ("w2a1", "unfolded")}
CASES = [
    pytest.param(p, b, f, id=f"{p}-i{b}-{f}", marks=[pytest.mark.slow] if (p, f) in SLOW else [])
    for p, b in PRECISIONS
    for f in FOLDINGS
    if (p, f) not in LEFT_OUT
]


def drop_label_select(model):
    """The dataflow graph up to the last MVAU: its output is the integer logits."""
    last = [n for n in hw_nodes(model) if n.op_type != "LabelSelect"][-1]
    return subgraph(model, [model.graph.input[0].name], [last.output[0]], "no_label_select")


@pytest.fixture(scope="module")
def small_build(build_dir, digits, quick_config):
    """Trained, converted builds per precision, made once per module."""
    cache = {}

    def get(precision, input_bits):
        if (precision, input_bits) not in cache:
            cfg = quick_config(precision, input_bits, hidden=HIDDEN)
            out = build_dir / f"rtlsim-{cfg.name}"
            run_build(cfg, out, stop_step="partition")
            pre = load_model(out / "preprocess.onnx")
            x_int = execute(pre, digits.x_test[:FRAMES])[pre.graph.output[0].name]
            cache[precision, input_bits] = out, load_model(out / "dataflow.onnx"), x_int
        return cache[precision, input_bits]

    return get


def lint_top(rtl_dir, verilator_tool):
    """Verilator's lint of the generated top, with the popcount netlists and with their models."""
    exe, env = verilator_tool
    rc, text = 0, ""
    for defines in ([], [f"-D{MODEL_DEFINE}"]):
        proc = subprocess.run(
            [exe, "--lint-only", "-Wall", *defines, "--top-module", "finnflow_top"]
            + sorted(str(p) for p in rtl_dir.glob("*.sv"))
            + [str(rtl_dir / "finnflow_top.v")],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            cwd=rtl_dir,
        )
        rc, text = rc or proc.returncode, text + proc.stdout + proc.stderr
    return rc, text


@pytest.mark.parametrize("precision, input_bits, folding", CASES)
def test_rtlsim_matches_python_and_estimate(
    small_build, precision, input_bits, folding, verilator_tool
):
    out, dataflow, x_int = small_build(precision, input_bits)
    has_label_select = any(n.op_type == "LabelSelect" for n in dataflow.graph.node)
    folding_cfg = FOLDINGS[folding]
    if folding in WITHOUT_LABEL_SELECT and has_label_select:
        dataflow = drop_label_select(dataflow)
    if not any(n.op_type == "LabelSelect" for n in dataflow.graph.node):
        folding_cfg = {k: v for k, v in folding_cfg.items() if k != "LabelSelect_0"}
    model = stitch(dataflow.transform(ApplyFolding(folding_cfg)))
    expected = execute(model, x_int)[model.graph.output[0].name].reshape(FRAMES, -1)
    design, result = simulate_stitched(model, x_int, out / f"rtl-{folding}")
    assert result.outputs.shape == expected.shape
    assert np.array_equal(result.outputs, expected.astype(np.int64))
    assert len(np.unique(expected)) > 1, "outputs must be non-trivial"
    estimate = estimate_network(model, 100.0)
    assert result.cycles_per_frame == estimate["max_cycles"]
    assert result.latency_cycles >= result.cycles_per_frame
    # stitching nodes are in the graph and in the estimate
    kinds = {getCustomOp(n).__class__.__name__ for n in hw_nodes(model)}
    assert "StreamingFIFO" in kinds
    assert {k for k in estimate["layers"] if k.startswith("StreamingFIFO_")}
    if folding == "mixed":
        assert "StreamingDataWidthConverter" in kinds
    # top-level ports are whole bytes
    top = (design.directory / "finnflow_top.v").read_text()
    widths = re.findall(r"wire \[(\d+):0\] [sm]_axis_tdata", top)
    assert len(widths) == 2 and all((int(w) + 1) % 8 == 0 for w in widths)
    assert design.in_port_width % 8 == 0 and design.out_port_width % 8 == 0
    rc, text = lint_top(design.directory, verilator_tool)
    assert rc == 0 and "%Warning" not in text, text


def test_netlist_popcounts_run_as_their_models(small_build):
    """The stitched design simulated with its popcount netlists and with their behavioral models
    (what the flow simulates): the same words in the same cycles."""
    out, dataflow, x_int = small_build("w2a2", 8)
    model = stitch(dataflow.transform(ApplyFolding(FOLDINGS["mixed"])))
    design, modelled = simulate_stitched(model, x_int[:20], out / "rtl-popcounts")
    netlist = run_design(design, x_int[:20], out / "rtl-popcounts" / "v", netlist_popcounts=True)
    assert (modelled.popcounts, netlist.popcounts) == ("model", "netlist")
    assert np.array_equal(modelled.outputs, netlist.outputs)
    assert modelled.frame_ends == netlist.frame_ends and modelled.total_cycles > 0


@pytest.mark.parametrize(
    "seed, bubble, backpressure", [(1, 0.3, 0.5), (2, 0.8, 0.0), (3, 0.0, 0.9)]
)
def test_stitched_design_under_stalls(small_build, seed, bubble, backpressure):
    """Random gaps in the input's tvalid and the output's tready: every frame comes out once,
    in order, equal to the free-running run, and the run is never shorter; once the gaps stop,
    frames leave at the design's rate again."""
    out, dataflow, x_int = small_build("w2a2", 8)
    model = stitch(dataflow.transform(ApplyFolding(FOLDINGS["mixed"])))
    check_under_stalls(model, x_int, out / "rtl-stalls", seed, bubble, backpressure)


@pytest.mark.parametrize("precision", ["w2a2", "w4a4"])
def test_dsp_datapath_matches_python_and_estimate(small_build, precision):
    """``resType: dsp`` on every MVAU that can take it: bit-exact, cycles per frame as estimated,
    and fewer DSPs than multiply-accumulate lanes (several products per DSP)."""
    out, dataflow, x_int = small_build(precision, 8)
    folding = {k: dict(v) for k, v in FOLDINGS["mixed"].items()}
    dsp = [
        n.name for n in hw_nodes(dataflow) if n.op_type == "MVAU" and getCustomOp(n).supports_dsp()
    ]
    assert len(dsp) >= 2, "the hidden layers take unsigned inputs"
    for name in dsp:
        folding[name]["resType"] = "dsp"
    model = stitch(dataflow.transform(ApplyFolding(folding)))
    expected = execute(model, x_int)[model.graph.output[0].name].reshape(FRAMES, -1)
    design, result = simulate_stitched(model, x_int, out / "rtl-dsp")
    assert np.array_equal(result.outputs, expected.astype(np.int64))
    estimate = estimate_network(model, 100.0)
    assert result.cycles_per_frame == estimate["max_cycles"]
    ops = [getCustomOp(n) for n in hw_nodes(model) if n.name in dsp]
    assert all(op.uses_dsp() for op in ops)
    assert "finnflow_dotp_dsp" in (design.directory / "finnflow_mvau.sv").read_text()
    lanes = sum(op.datapath_lanes() for op in ops)
    assert 0 < sum(op.dsp_estimation() for op in ops) < lanes
