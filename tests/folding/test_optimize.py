"""The folding optimizer: exact against exhaustive enumeration, consistent with the estimate of
the stitched design, clear when nothing fits."""

import itertools
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from finnflow.boards import RESOURCES, get_board, io_bound_cycles
from finnflow.build import run_build
from finnflow.errors import FoldingError
from finnflow.export import export_qonnx
from finnflow.folding import ApplyFolding, FoldingSearch, SetFolding, optimize_folding
from finnflow.folding.optimize import _pareto, frame_bits
from finnflow.hw.estimate import estimate_network
from finnflow.networks import build_fc, parse_precision
from finnflow.transforms import cleanup, convert_to_hw, split_dataflow, stitch, streamline


def partitioned(in_features: int, topology, hidden, precision: str, seed: int = 0):
    """The partitioned hardware graph of an FC network as exported (folding needs no trained
    weights)."""
    torch.manual_seed(seed)
    net = build_fc(in_features, 10, parse_precision(precision), topology, hidden, 1.0, 8)
    net.eval()
    with tempfile.TemporaryDirectory() as d:
        model = export_qonnx(net, in_features, Path(d) / "model.onnx")
    return split_dataflow(convert_to_hw(streamline(cleanup(model))))


def dataflow(in_features: int, topology, hidden, precision: str, seed: int = 0):
    return partitioned(in_features, topology, hidden, precision, seed).dataflow


@pytest.fixture(scope="module")
def small():
    return dataflow(64, None, [6, 4], "w2a2")


def every_design(search: FoldingSearch):
    """(resources [designs, RESOURCES], cycles per frame [designs]) of every combination of
    options: each layer's option on its own axis, each edge's cost on the axes of its two
    layers, flattened."""
    n = len(search.options)
    vec = np.zeros([len(o) for o in search.options] + [len(RESOURCES)], dtype=np.int64)
    cycles = np.zeros(vec.shape[:-1], dtype=np.int64)

    def axis(values, *axes):
        shape = [1] * n
        for a, size in zip(axes, values.shape[: len(axes)], strict=True):
            shape[a] = size
        return values.reshape(shape + list(values.shape[len(axes) :]))

    for i, opts in enumerate(search.options):
        vec = vec + axis(np.array([o.cost for o in opts]), i)
        cycles = np.maximum(cycles, axis(np.array([o.cycles for o in opts]), i))
    for i, (left, right) in enumerate(itertools.pairwise(search.options)):
        pairs = [[search.edges[i][a.out_key, b.in_key] for b in right] for a in left]
        vec = vec + axis(np.array([[e for _, e in row] for row in pairs]), i, i + 1)
        cycles = np.maximum(
            cycles, axis(np.array([[c for c, _ in row] for row in pairs]), i, i + 1)
        )
    return vec.reshape(-1, len(RESOURCES)), cycles.reshape(-1)


def brute_force(search: FoldingSearch):
    """(fewest cycles, least budget-fraction cost at them) over every combination of options."""
    scale = 1.0 / np.maximum(search.budget, 1)
    vecs, cycles = every_design(search)
    fit = np.all(vecs <= search.budget, axis=1)
    if not fit.any():
        return None
    fastest = cycles[fit].min()
    return int(fastest), float((vecs[fit & (cycles == fastest)] @ scale).min())


@pytest.mark.parametrize(
    "lut, bram18, ff",
    [
        (100000, 280, 106400),
        (1400, 280, 106400),
        (900, 280, 106400),
        (1400, 2, 106400),
        (700, 0, 106400),
        (100000, 280, 1100),  # FF binds: the relaxed front cannot decide, the exact one does
        (1400, 280, 900),
    ],
)
def test_optimum_matches_exhaustive_search(small, lut, bram18, ff):
    """Fastest design within the budget, then the cheapest of those, as enumeration finds (with
    the I/O bound out of the way, so the optimizer goes as far as the budget lets it)."""
    board = replace(get_board("Pynq-Z1"), lut=lut, bram18=bram18, ff=ff, usable=1.0, dma_bits=4096)
    search = FoldingSearch(small, board)
    cycles, cost = brute_force(search)
    plan = optimize_folding(small, board, 100.0)
    vec = np.array([plan.resources[r] for r in RESOURCES])
    assert plan.cycles == cycles
    assert float(vec @ (1.0 / np.maximum(search.budget, 1))) == pytest.approx(cost)


@pytest.mark.parametrize(
    "lut, bram18, ff",
    [(1400, 280, 106400), (900, 280, 106400), (1400, 2, 106400), (100000, 280, 1100)],
)
def test_relaxation_bounds_and_candidates(small, lut, bram18, ff):
    """The chain DP finds the exact minimum of a weighted sum; the Lagrangian bound never
    exceeds the cheapest design that fits, its candidates fit, and ``fits`` agrees with
    enumeration at every cycle count."""
    board = replace(get_board("Pynq-Z1"), lut=lut, bram18=bram18, ff=ff, usable=1.0)
    search = FoldingSearch(small, board)
    vecs, design_cycles = every_design(search)
    w = search.weights
    cost, fit = vecs @ w, np.all(vecs <= search.budget, axis=1)
    for cycles in search.cycle_counts():
        within = design_cycles <= cycles
        assert search.scalar_best(cycles, w)[1] @ w == pytest.approx(cost[within].min())
        fitting = cost[within & fit]
        found, bound, _ = search.relax(cycles, w)
        assert search.fits(cycles) == bool(fitting.size)
        if not fitting.size:
            assert found is None and search.best(cycles) is None
            continue
        assert bound <= fitting.min() + 1e-9
        if found is not None:
            assert np.all(found[1] <= search.budget) and found[1] @ w >= fitting.min() - 1e-9
        assert search.best(cycles)[1] @ w == pytest.approx(fitting.min())


def test_plan_is_what_the_stitched_design_estimates(small):
    board = replace(get_board("Pynq-Z1"), lut=1400, dsp=0)
    plan = optimize_folding(small, board, 100.0)
    est = estimate_network(stitch(small.transform(ApplyFolding(plan.folding))), 100.0, board)
    assert est["max_cycles"] == plan.cycles
    assert {r: est[r] for r in RESOURCES} == plan.resources
    assert est["fits_board"]
    assert plan.binding.startswith("lut")
    assert all(v.get("resType", "lut") == "lut" for v in plan.folding.values())


def test_dsps_take_over_when_luts_bind(small):
    """With LUTs binding, DSP slices for the products buy frames per second: the plan puts a
    layer on DSPs, is faster than without them, and is what its stitched design estimates."""
    board = replace(get_board("Pynq-Z1"), lut=1400, dsp=0, dma_bits=4096)
    luts_only = optimize_folding(small, board, 100.0)
    board = replace(board, dsp=40)
    plan = optimize_folding(small, board, 100.0)
    assert plan.cycles < luts_only.cycles
    assert 0 < plan.resources["dsp"] <= 40 * board.usable
    assert any(v.get("resType") == "dsp" for v in plan.folding.values())
    est = estimate_network(stitch(small.transform(ApplyFolding(plan.folding))), 100.0, board)
    assert est["max_cycles"] == plan.cycles
    assert {r: est[r] for r in RESOURCES} == plan.resources


@pytest.mark.parametrize("dsp", [0, 40, 100_000])
def test_compute_bound_is_a_bound_that_spends_dsps_within_their_budget(small, dsp):
    """No design that fits (every combination of options, enumerated) is faster than the compute
    bound. With no DSPs it is the LUT budget spent on each layer's work at its cheapest LUTs per
    lane of the foldings without DSPs; with DSPs to spare, at the cheapest of any folding; in
    between, between the two."""
    board = replace(get_board("Pynq-Z1"), lut=1400, dsp=dsp, usable=1.0, dma_bits=4096)
    search = FoldingSearch(small, board)
    bound = search.compute_bound_cycles()
    vecs, cycles = every_design(search)
    assert bound <= cycles[np.all(vecs <= search.budget, axis=1)].min()
    assert optimize_folding(small, board, 100.0).cycles >= bound

    def spent(without_dsps: bool) -> float:
        lut, dsps = RESOURCES.index("lut"), RESOURCES.index("dsp")
        return (
            sum(
                o[0].cycles
                * o[0].lanes
                * min(x.cost[lut] / x.lanes for x in o if not (without_dsps and x.cost[dsps]))
                for o in search.options
            )
            / board.lut
        )

    assert spent(True) > spent(False)  # the DSP datapath saves LUTs in this network
    if dsp == 0:
        assert bound == pytest.approx(spent(True))
    elif dsp > 10_000:
        assert bound == pytest.approx(spent(False))
    else:
        assert spent(False) < bound < spent(True)


def test_io_bound_stops_the_search():
    """TFC with 8-bit inputs on the PYNQ-Z1: 6,272 input bits per frame over a 64-bit DMA
    bound it at 98 cycles (1.02 M FPS at 100 MHz); the optimizer takes the cheapest design
    within it, and reports the bound's frame rate."""
    model = dataflow(784, "TFC", None, "w1a1")
    board = get_board("Pynq-Z1")
    assert frame_bits(model) == (784 * 8, 4)  # a 4-bit class index out
    assert io_bound_cycles(board, *frame_bits(model)) == 98
    plan = optimize_folding(model, board, 100.0)
    assert plan.cycles <= 98 and plan.binding == "io"
    assert plan.to_dict()["fraction_of_io_bound"] == 1.0
    assert plan.fps == plan.io_bound_fps


def test_beats_the_greedy_baseline_within_the_budget(small):
    """SetFolding's best design that fits is never faster than the optimizer's."""
    board = replace(get_board("Pynq-Z1"), lut=900, dma_bits=4096)
    plan = optimize_folding(small, board, 100.0)
    search = FoldingSearch(small, board)
    best = None
    for target in search.cycle_counts():
        est = estimate_network(stitch(small.transform(SetFolding(target))), 100.0, board)
        if est["fits_board"]:
            best = est["max_cycles"] if best is None else min(best, est["max_cycles"])
    assert best is not None and plan.cycles <= best


def test_nothing_fits_names_what_is_over_and_by_how_much():
    model = dataflow(784, "LFC", None, "w8a8")
    with pytest.raises(FoldingError, match=r"no folding fits the Pynq-Z1.*over by \d+"):
        optimize_folding(model, get_board("Pynq-Z1"), 100.0)


def test_uram_board_and_zero_budget(small):
    """A resource the board lacks can not be used: a tiny board with no block RAM keeps every
    memory in LUTs."""
    board = replace(get_board("Pynq-Z1"), lut=1400, bram18=0)
    plan = optimize_folding(small, board, 100.0)
    assert plan.resources["bram18"] == 0
    assert all(v.get("ram_style", "distributed") == "distributed" for v in plan.folding.values())


def test_build_maximizes_on_a_board_of_ones_own(build_dir, quick_config, verilator_tool):
    """`folding: maximize` on a user's board through the whole flow: the plan fits, the
    estimate of the stitched design is the plan, and rtlsim is bit-exact."""
    board = {"name": "tiny", "part": "xc7z007sclg400-1", "lut": 3000, "ff": 6000}
    board |= {"bram18": 20, "dsp": 0, "dma_bits": 256}
    cfg = quick_config("w2a2", epochs=2, hidden=[32], folding="maximize", board=board)
    cfg.rtlsim, cfg.rtlsim_frames = True, 8
    summary = run_build(cfg, build_dir / "maximize-tiny")
    plan, est = summary["folding_plan"], summary["estimate"]
    assert summary["folding_mode"] == "maximize" and summary["board"] == "tiny"
    assert plan["binding"] != "io" and plan["cycles"] == est["max_cycles"]
    assert all(est[r] <= plan["budget"][r] for r in RESOURCES)
    assert summary["rtlsim"]["bit_exact"]


@pytest.mark.slow
def test_shipped_folding_runs_at_its_estimate(shared_mnist, verilator_tool, tmp_path):
    """The folding JSON shipped for TFC w2a2 on the PYNQ-Z1 (sized FIFOs included) runs in
    rtlsim on real MNIST test images at exactly the cycles per frame the optimizer promised,
    bit-exact. (The benchmark that writes the JSONs checks every FC design so with
    ``--size-fifos``.)"""
    board = "Pynq-Z1"
    from finnflow.execute import execute
    from finnflow.sim.rtlsim import simulate_stitched
    from finnflow.training import load_dataset

    config = Path(__file__).parents[2] / "build_configs" / "folding" / board / "tfc_w2a2.json"
    part = partitioned(784, "TFC", None, "w2a2")
    folded = stitch(part.dataflow.transform(ApplyFolding(config, strict=False)))
    folded = folded.transform(ApplyFolding(config))
    est = estimate_network(folded, 100.0, get_board(board))
    # within the I/O bound: 6,272 input bits per frame over the 64-bit DMA take 98 cycles
    assert est["fits_board"] and est["max_cycles"] <= 98
    x = load_dataset("mnist", shared_mnist).x_test[:40]
    x_int = execute(part.preprocess, x)[part.preprocess.graph.output[0].name]
    _, res = simulate_stitched(folded, x_int, tmp_path)
    expected = execute(folded, x_int)[folded.graph.output[0].name].reshape(len(x), -1)
    assert np.array_equal(res.outputs, expected.astype(np.int64))
    assert res.cycles_per_frame == est["max_cycles"]


@pytest.mark.parametrize("columns", [2, 3, 4, 6])
@pytest.mark.parametrize("cells", [1 << 22, 0], ids=["grouped", "blocks"])
def test_pareto_keeps_one_of_each_undominated_row(columns, cells):
    """Against a row-by-row check, on resource vectors with repeated rows, a column equal in
    every row (as URAM is on boards without it), columns of few and of many values (block RAM,
    LUTs) and a float column (the "cost" front's objective); and on rows that are all equal.
    Each distinct row is represented by its first occurrence, in lexicographic order."""
    rng = np.random.default_rng(columns)
    vecs = rng.integers(0, 6, size=(300, columns)).astype(np.float64)
    vecs[:, 0] = rng.integers(0, 400, size=300)
    vecs[:, 1] = 7
    vecs[:, -1] += rng.random(300) * (columns > 3)
    vecs = vecs[rng.integers(0, len(vecs), size=600)]
    rows = {tuple(v) for v in vecs}
    front = {r for r in rows if not any(o != r and all(np.less_equal(o, r)) for o in rows)}
    picked = _pareto(vecs, cells)
    kept = [tuple(vecs[i]) for i in picked]
    assert set(kept) == front and kept == sorted(set(kept))
    assert all(not (vecs[:i] == vecs[i]).all(axis=1).any() for i in picked)
    assert len(_pareto(np.full((5, 3), 4), cells)) == 1
