"""FIFO depths sized from rtlsim: each StreamingFIFO gets the smallest depth with which the design
runs at its expected cycles per frame ``T`` (the slowest node's ``get_exp_cycles()``).

Method (one Verilator build, a few runs). The RTL is generated with every FIFO deep enough never
to fill and built with the FIFO monitor (``FINNFLOW_FIFO_MONITOR``, ``finnflow_fifo.sv``), which
reports per FIFO ``need = max(count + 1)`` over the cycles where a word is written (``count``: the
words in its memory) and lets a run lower each FIFO's capacity with a plusarg.

1. Reference: the input is throttled to the design's rate (frame ``k`` offered from cycle
   ``k * T`` on, each frame's words as fast as they are taken), the output always ready. No node
   ever waits for a full FIFO, so this is the design's as-soon-as-possible schedule at rate
   ``T``. With no slack at all it may settle a cycle or so per frame slower (a width converter
   that stalled in an unlucky phase can leave a bubble in its consumer's burst every frame);
   step 3 decides.
2. Depths: a memory of ``DEPTH`` words takes a write iff ``count != DEPTH`` (the output register
   holds one more word, but a read in the same cycle frees no place in time), so
   ``DEPTH = max(2, need)`` takes every write of the reference run and ``need - 1`` refuses one.
   Each node's ``tvalid`` is a register and its state ignores ``tready`` while ``tvalid`` is low,
   so by induction over the cycles the sized design replays the reference schedule exactly:
   these are the smallest depths that keep that schedule (a producer with slack might be stalled
   by a shallower FIFO without slowing the design; such depths are not searched for).
3. Verification: the same binary, each FIFO's capacity lowered to its depth (cycle for cycle a
   build with that ``DEPTH``: the depth only enters through the full condition), unthrottled,
   must run at exactly ``T`` cycles per frame (``steady_state_interval``), bit-exact against the
   Python execution. If it does not, an unthrottled run with the deep FIFOs tells whether any
   depth can help (FifoSizingError if not); else the depths are doubled, a bounded number of
   times, then FifoSizingError. A FIFO that filled in the reference run is made deeper and the
   RTL rebuilt.
4. Shrinking: the reference schedule lets every producer run ahead as far as it can, so a FIFO
   after a producer faster than its consumer holds up to a frame that buys no speed. FIFOs
   deeper than ``SHRINK_ABOVE`` words (below that, LUT RAM costs the same) that could give up
   more than ``SHRINK_BITS`` are lowered: all of them to 2 at once (a run beside step 3's);
   else each by a bisection over depth 2 (tried first) and the depths where its cost under the
   resource model steps up (LUT RAM banks, block RAMs, pointer bits), its trials beside the
   others' depths from step 3; the bisections run at once, one per job (the last one left
   runs several trials at once). A trial keeps the rate if it runs at exactly ``T`` cycles per
   frame, bit-exact; its peaks (at least 2) replay it, as step 2 argues. Each FIFO takes the
   depth its shallowest such trial kept, and a run with all of them together verifies the
   result: deeper never runs slower, so each FIFO then sits at its cheapest depth that keeps
   the rate beside the others (the next cheaper missed it beside deeper ones). A trial that
   falls a frame behind a run at the rate (its last frame not out by the reference run's
   latency plus its frames times ``T``) is stopped there: it missed the rate. The trials are
   shorter runs (see Frames); the verifying run is of the full length, and if it misses the
   rate (a stall that shows only after the trials' frames, or FIFOs that each needed the
   others' slack) the bisections are made again with runs of the full length, one FIFO at a
   time, largest first, each beside the depths kept before it (verified by its own trial). The
   runs share the one binary, so with ``jobs`` cores they take the time of about a ``jobs``-th
   as many.

Frames. Peaks and cycles per frame are those of the periodic steady state, reached once the
pipeline has filled: each layer settles after the one feeding it, and in a balanced design the
frames can end a cycle late for a few frames while the layers find their phases. The reference
run starts with ``layers + 2`` frames (layers: nodes other than FIFOs and converters); the runs
after it with twice the frames in flight at once (its latency over ``T``, rounded up) plus
``SETTLE_FRAMES``, at least ``MIN_FRAMES``, and no more than the reference took: a deep pipeline
of short layers holds a frame or two, not one per layer. Shrinking trials take the frames in
flight plus ``SETTLE_FRAMES`` (at least ``MIN_FRAMES``): a trial only chooses what to try next,
and in the designs measured (CNV and FC, on both boards) every run's frames ended evenly spaced
from the first on. Every run doubles its frames, a bounded number of times, until the second
half of the frames ends evenly spaced; cycles per frame are averaged over that half. Timing does
not depend on the data, so the given frames are repeated.
"""

import bisect
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.errors import ConfigError, FifoSizingError, UnsupportedOpError
from finnflow.execute import execute
from finnflow.folding import ApplyFolding
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import expected_cycles, node_resources
from finnflow.hw.stitching import StreamingDataWidthConverter, StreamingFIFO
from finnflow.rtl.generate import StitchedDesign, generate_rtl
from finnflow.sim.rtlsim import RtlsimResult, run_design
from finnflow.sim.verilator import SimulationCycleLimit
from finnflow.tools import find_verilator

MONITOR = "FINNFLOW_FIFO_MONITOR"
_PEAK = re.compile(r"^FINNFLOW_FIFO_PEAK (\S+) (\d+)$", re.MULTILINE)
DEEP_FRAMES = 4  # reference depth of a FIFO, in frames of its words; 4x more where it filled
REBUILDS = 2
SHRINK_ABOVE = 32  # words; a LUT-RAM FIFO of up to 32 words costs the same at any depth
SHRINK_BITS = 1024  # a FIFO is lowered if it could give up more than this (16 LUTs of LUT RAM)
LONGER_RUNS = 3  # doublings of a run's frames while its second half is not yet periodic
MIN_FRAMES = 4  # per run
SETTLE_FRAMES = 2  # frames after the pipeline filled in which its layers find their phases


@dataclass
class FifoDepth:
    """One FIFO's depth (stream words) before and after sizing."""

    name: str
    width: int  # stream bits
    depth_before: int
    depth_after: int


@dataclass
class FifoSizingReport:
    """What sizing set and measured; ``to_dict`` for JSON reports."""

    fifos: list[FifoDepth]
    bits_before: int  # sum of depth x width
    bits_after: int
    expected_cycles: int  # max get_exp_cycles() over the hardware nodes
    cycles_per_frame: float  # measured, unthrottled, with the sized FIFOs
    reference_cycles_per_frame: float  # the throttled run with FIFOs that never fill
    frames: int  # of the last run
    builds: int
    runs: int
    build_seconds: float
    seconds: float  # all of the sizing

    def to_dict(self) -> dict:
        out = asdict(self)
        out["build_seconds"] = round(self.build_seconds, 3)
        out["seconds"] = round(self.seconds, 3)
        return out


def _with_depths(model: ModelWrapper, depths: dict[str, int]) -> ModelWrapper:
    return model.transform(ApplyFolding({k: {"depth": int(v)} for k, v in depths.items()}))


def _frames(model: ModelWrapper, x_int: np.ndarray, frames: int | None) -> tuple[np.ndarray, int]:
    """The distinct integer input frames [n, elements] of the first ``frames`` (the given ones,
    repeated where fewer), checked against the first node's input stream, and ``frames``."""
    nodes = hw_nodes(model)
    first = getCustomOp(nodes[0])
    elements = int(np.prod(first.get_normal_input_shape()[1:]))
    x = np.asarray(x_int)
    if x.size == 0 or x.size % elements or not np.issubdtype(x.dtype, np.number):
        raise ConfigError(
            f"x_int holds {x.size} {x.dtype} values, not whole frames of the {elements} integers "
            f"{nodes[0].name} reads"
        )
    x = x.reshape(-1, elements)
    lo, hi = first.get_instream_format().value_range()
    if not np.array_equal(x, np.round(x)) or x.min() < lo or x.max() > hi:
        raise ConfigError(
            f"x_int holds values in [{x.min()}, {x.max()}]; {nodes[0].name} reads integers in "
            f"[{lo}, {hi}]: give the dataflow region's integer inputs (after preprocessing)"
        )
    if frames is None:
        stitching = (StreamingFIFO, StreamingDataWidthConverter)
        frames = sum(not isinstance(getCustomOp(n), stitching) for n in nodes) + 2
    if frames < MIN_FRAMES:
        raise ConfigError(f"frames={frames}: FIFO sizing needs at least {MIN_FRAMES} frames")
    return x[:frames].astype(np.int64), frames


class _Bench:
    """Runs of one monitor build on frames repeated from ``base``, each checked bit-exact
    against ``expected`` (a future: the Python execution runs while the RTL builds)."""

    def __init__(self, base, expected: Future, work_dir: Path, period: int):
        self.design: StitchedDesign | None = None
        self.base, self.expected, self.period = base, expected, period
        self.build_dir, self.runs, self.build_seconds = work_dir / "verilator", 0, 0.0
        self.latency = 0  # of the reference run: first input to frame 0's last output
        self.lock = threading.Lock()

    def run(self, frames: int, cut: bool = False, **options) -> RtlsimResult | None:
        """A run of ``frames``; with ``cut``, None if it is a frame behind a run at the rate
        (its last frame not out ``latency + frames * period`` cycles in), stopped there."""
        pick = np.arange(frames) % len(self.base)
        # throttled, the input idles for up to a frame: no deadlock
        idle = 10_000 + 4 * self.period
        limit = self.latency + frames * self.period if cut else 0
        try:
            res = run_design(
                self.design,
                self.base[pick],
                self.build_dir,
                defines=(MONITOR,),
                max_idle=idle,
                max_cycles=limit,
                **options,
            )
        except SimulationCycleLimit:
            res = None
        with self.lock:
            self.runs += 1
            self.build_seconds += res.build_seconds if res else 0.0
        if res is not None and not np.array_equal(res.outputs, self.expected.result()[pick]):
            raise FifoSizingError("the design's outputs differ from the Python execution")
        return res

    def settled(self, frames: int, cut: bool = False, **options) -> RtlsimResult | None:
        """A run whose second half of frames ends evenly spaced (the pipeline filled), doubling
        its frames while not (a bounded number of times); None where ``cut`` stopped it."""
        for _ in range(LONGER_RUNS + 1):
            res = self.run(frames, cut, **options)
            if res is None:
                return None
            ends = res.frame_ends
            if len(set(np.diff(ends[len(ends) // 2 :]).tolist())) <= 1:
                break
            frames *= 2
        return res


def _check_rate(res: RtlsimResult, period: int, what: str, why: str) -> None:
    if res.cycles_per_frame != period:
        raise FifoSizingError(
            f"{what}, the design runs at {res.cycles_per_frame:g} cycles per frame, not the "
            f"expected {period}: {why}"
        )


NO_DEPTH_HELPS = (
    "a node is slower than its get_exp_cycles() (or a width converter paces its consumer's "
    "bursts), which no FIFO depth can fix"
)


def _peaks(res: RtlsimResult) -> dict[str, int]:
    """The monitor's peak of each FIFO in the run ``res``, by FIFO name."""
    return {m.group(1).rsplit(".", 1)[-1]: int(m.group(2)) for m in _PEAK.finditer(res.stdout)}


@dataclass
class _Reference:
    """The monitor build with FIFOs that never fill and its throttled run."""

    bench: _Bench
    deep: dict[str, int]  # per FIFO: its depth in the build
    path: dict[str, str]  # per FIFO: its instance path
    need: dict[str, int]  # per FIFO: the monitor's peak
    frames: int  # of a verifying run
    search_frames: int  # of a shrinking trial
    cycles_per_frame: float
    builds: int

    def run(
        self, depths: dict[str, int] | None = None, frames: int = 0, cut: bool = False
    ) -> RtlsimResult | None:
        """An unthrottled run of ``frames`` (default: a verifying run's), each FIFO's capacity
        lowered to ``depths`` (default: none); ``cut``: see ``_Bench.run``."""
        limits = {f"FINNFLOW_FIFO_DEPTH_{self.path[k]}": d for k, d in (depths or {}).items()}
        return self.bench.settled(frames or self.frames, cut, plusargs=limits)

    def run_many(
        self, trials: list[dict[str, int]], jobs: int, frames: int = 0, cut: tuple = (True,)
    ) -> list[RtlsimResult | None]:
        """:meth:`run` for each of ``trials`` (trial i cut if ``cut[i]``, the last entry
        repeating), up to ``jobs`` simulations at once."""
        cuts = [cut[min(i, len(cut) - 1)] for i in range(len(trials))]
        if jobs <= 1 or len(trials) <= 1:
            return [self.run(t, frames, c) for t, c in zip(trials, cuts, strict=True)]
        with ThreadPoolExecutor(min(jobs, len(trials))) as pool:
            return list(pool.map(lambda t, c: self.run(t, frames, c), trials, cuts))


def _reference(
    model: ModelWrapper, base, expected, work_dir: Path, period: int, frames: int
) -> _Reference:
    fifos = [n for n in hw_nodes(model) if isinstance(getCustomOp(n), StreamingFIFO)]
    deep = {n.name: DEEP_FRAMES * getCustomOp(n).get_number_output_values() + 2 for n in fifos}
    bench = _Bench(base, expected, work_dir, period)
    for builds in range(1, REBUILDS + 2):
        bench.design = generate_rtl(_with_depths(model, deep), work_dir / "rtl")
        res = bench.settled(frames, frame_interval=period)
        path = {m.group(1).rsplit(".", 1)[-1]: m.group(1) for m in _PEAK.finditer(res.stdout)}
        if sorted(path) != sorted(deep):
            raise FifoSizingError(
                f"the FIFO monitor reported {sorted(path)}, not the FIFOs {sorted(deep)}"
            )
        need = _peaks(res)
        full = [k for k in deep if need[k] >= deep[k]]
        if not full:
            bench.latency = res.latency_cycles
            fill = -(-res.latency_cycles // period)  # frames in flight at once
            after = min(len(res.frame_ends), max(MIN_FRAMES, 2 * (fill + SETTLE_FRAMES)))
            search = min(after, max(MIN_FRAMES, fill + SETTLE_FRAMES))
            return _Reference(bench, deep, path, need, after, search, res.cycles_per_frame, builds)
        deep.update({k: 4 * deep[k] for k in full})
    raise FifoSizingError(f"FIFOs {full} still filled at depths {[deep[k] for k in full]}")


def _cost_steps(op, depth: int) -> list[int]:
    """The depths from 3 to ``depth`` after which the FIFO ``op`` costs more under the resource
    model (the deepest of each run of depths of equal cost), ``depth`` last."""
    saved = op.get_nodeattr("depth")
    costs = []
    for d in range(3, depth + 1):
        op.set_nodeattr("depth", d)
        costs.append(tuple(node_resources(op).values()))
    op.set_nodeattr("depth", saved)
    return [
        d for d, a, b in zip(range(3, depth + 1), costs, [*costs[1:], None], strict=True) if a != b
    ]


def _big(depths: dict, width: dict) -> list[str]:
    """The FIFOs worth lowering (step 4), the most bits first."""
    return sorted(
        (
            k
            for k in depths
            if depths[k] > SHRINK_ABOVE and (depths[k] - 2) * width[k] > SHRINK_BITS
        ),
        key=lambda k: -depths[k] * width[k],
    )


def _kept(trial: dict, run: RtlsimResult | None, period: int) -> tuple[dict, RtlsimResult] | None:
    """None if ``run`` (of the depths ``trial``) missed the rate or was cut, else the depths it
    verified: every FIFO lowered to its peak in the run (at least 2), which replays the run
    (step 2)."""
    if run is None or run.cycles_per_frame != period:
        return None
    return {k: min(trial[k], max(2, n)) for k, n in _peaks(run).items()}, run


def _lowest(
    ref: _Reference,
    base: dict,
    k: str,
    steps: list[int],
    period: int,
    frames: int,
    probes: Callable[[], int],
) -> tuple[dict, RtlsimResult] | None:
    """The bisection of step 4 for FIFO ``k``: trials of ``base`` with ``k`` lowered to one of
    ``steps`` (ascending, depth 2 first and tried first; ``base[k]`` last, which keeps the rate),
    of ``frames``, ``probes()`` at once in each round. Returns what the shallowest trial that
    kept the rate kept (see ``_kept``), None if none did."""
    lo, hi, best = -1, len(steps) - 1, None  # steps[lo] missed the rate (-1: none); steps[hi] not
    while hi - lo > 1:
        first, jobs = [0] if lo < 0 and best is None else [], probes()
        spread = range(jobs - len(first))
        picks = {lo + max(1, round((hi - lo) * (i + 1) / (len(spread) + 1))) for i in spread}
        picks = sorted(i for i in {*first, *picks} if i < hi)
        trials = [{**base, k: steps[i]} for i in picks]
        runs = ref.run_many(trials, jobs, frames)
        kept = [_kept(t, run, period) for t, run in zip(trials, runs, strict=True)]
        passed = [found for found in kept if found]
        if passed:
            best = passed[0]
            hi = bisect.bisect_left(steps, best[0][k])
        lo = max([lo] + [i for i, found in zip(picks, kept, strict=True) if not found and i < hi])
    return best


def _shrink(
    ref: _Reference,
    depths: dict,
    big: list[str],
    ops: dict,
    period: int,
    jobs: int,
    frames: int,
    in_turn: bool = False,
) -> tuple[dict, RtlsimResult | None]:
    """Step 4 of the module docstring after the run with all of ``big`` at depth 2 missed the
    rate: each of ``big`` lowered by a bisection over the depths where its cost steps up
    (``ops``: each FIFO's op), in trials of ``frames``. At once (one bisection per job, each
    beside ``depths``; the last one left runs a trial per job): the combined depths, not yet
    run together (None for their run); or ``in_turn``, each beside the depths kept before it:
    the depths and the run that kept them (None if none was lowered)."""
    steps = {k: [2, *_cost_steps(ops[k], depths[k])] for k in big}
    if in_turn:
        res = None
        for k in big:
            found = _lowest(ref, depths, k, steps[k], period, frames, lambda: jobs)
            if found:
                depths, res = found
        return depths, res
    left, lock = [len(big)], threading.Lock()  # bisections not done; the last ones share the jobs

    def lowest(k: str) -> tuple[dict, RtlsimResult] | None:
        found = _lowest(
            ref, depths, k, steps[k], period, frames, lambda: jobs // min(jobs, left[0])
        )
        with lock:
            left[0] -= 1
        return found

    with ThreadPoolExecutor(min(jobs, len(big))) as pool:
        found = {k: f[0][k] for k, f in zip(big, pool.map(lowest, big), strict=True) if f}
    return {**depths, **found}, None


def size_fifos(
    model: ModelWrapper,
    x_int: np.ndarray,
    work_dir: Path,
    *,
    frames: int | None = None,
    retries: int = 2,
    jobs: int | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> tuple[ModelWrapper, FifoSizingReport]:
    """Set every StreamingFIFO's ``depth`` in the stitched, folded dataflow graph ``model`` to the
    smallest that keeps the design at its expected cycles per frame (see the module docstring),
    from rtlsim on the integer input frames ``x_int``, repeated to ``frames`` or more (by default
    layers + 2). RTL and the Verilator build go under ``work_dir``; up to ``jobs`` simulations
    run at once (default: one per CPU core); ``log`` gets a line per step. Returns the sized
    model (a copy) and the report; raises FifoSizingError rather than return a design slower
    than expected, ToolNotFoundError without Verilator."""
    t0 = time.time()
    find_verilator()
    nodes = hw_nodes(model)
    if not nodes:
        raise UnsupportedOpError("the dataflow graph has no hardware layer whose FIFOs to size")
    fifos = [n for n in nodes if isinstance(getCustomOp(n), StreamingFIFO)]
    if not fifos and len(nodes) > 1:
        raise ConfigError(
            "the dataflow graph has no StreamingFIFO: stitch it first (finnflow.transforms.stitch)"
        )
    base, frames = _frames(model, x_int, frames)
    period = expected_cycles(model)
    with ThreadPoolExecutor(1) as pool:
        expected = pool.submit(
            lambda: (
                execute(model, base)[model.graph.output[0].name]
                .reshape(len(base), -1)
                .astype(np.int64)
            )
        )
        ref = _reference(model, base, expected, Path(work_dir), period, frames)
    ops = {n.name: getCustomOp(n) for n in fifos}
    width = {k: op.get_instream_width() for k, op in ops.items()}
    jobs = jobs or os.cpu_count() or 1
    depths = {k: max(2, n) for k, n in ref.need.items()}
    big = _big(depths, width)
    low = {**depths, **dict.fromkeys(big, 2)}
    log(
        f"fifo sizing: built in {ref.bench.build_seconds:.1f} s; the throttled run's peaks "
        f"take {sum(depths[k] * width[k] for k in ops)} bits"
        + (f", {len(big)} FIFOs to lower ({', '.join(big)})" if big else "")
    )
    res, *low_run = ref.run_many([depths, low] if big else [depths], jobs, cut=(False, True))
    if res.cycles_per_frame != period:
        _check_rate(ref.run(), period, "with FIFOs that never fill", NO_DEPTH_HELPS)
    for _ in range(retries):
        if res.cycles_per_frame == period:
            break
        depths = {k: min(2 * d, ref.deep[k]) for k, d in depths.items()}
        res = ref.run(depths)
    why = f"the depths were doubled {retries} times from the reference run's peaks"
    _check_rate(res, period, f"with FIFO depths {depths}", why)
    start = dict(depths)
    found = _kept(low, low_run[0], period) if big else None
    if found:
        depths, res = found
        log(f"fifo sizing: {', '.join(big)} all keep the rate at depth 2")
    elif big:  # trials of search_frames; what they kept is verified by a run of frames
        log(f"fifo sizing: lowering them, trials of {ref.search_frames} frames")
        trial, _ = _shrink(ref, depths, big, ops, period, jobs, ref.search_frames)
        verify = ref.run(trial) if trial != depths else res
        found = _kept(trial, verify, period)
        if not found:
            log(
                f"fifo sizing: over {ref.frames} frames the depths the trials kept run at "
                f"{verify.cycles_per_frame:g} cycles/frame together; lowering again one at a "
                f"time with trials of {ref.frames} frames"
            )
            trial, run = _shrink(ref, depths, big, ops, period, jobs, ref.frames, in_turn=True)
            found = trial, run or res
        depths, res = found
        log("fifo sizing: " + ", ".join(f"{k} {start[k]} -> {depths[k]}" for k in big))
    before = {k: op.get_nodeattr("depth") for k, op in ops.items()}
    report = FifoSizingReport(
        fifos=[FifoDepth(k, width[k], before[k], depths[k]) for k in ops],
        bits_before=sum(before[k] * width[k] for k in ops),
        bits_after=sum(depths[k] * width[k] for k in ops),
        expected_cycles=period,
        cycles_per_frame=res.cycles_per_frame,
        reference_cycles_per_frame=ref.cycles_per_frame,
        frames=len(res.frame_ends),
        builds=ref.builds,
        runs=ref.bench.runs,
        build_seconds=ref.bench.build_seconds,
        seconds=time.time() - t0,
    )
    return _with_depths(model, depths), report
