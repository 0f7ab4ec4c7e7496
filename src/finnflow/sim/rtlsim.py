"""Cycle-accurate simulation of a generated stitched design (Verilator), whose outputs are
checked bit for bit against the hardware layers' Python execution by the caller."""

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from finnflow.rtl.generate import StitchedDesign, generate_rtl
from finnflow.rtl.popcount import MODEL_DEFINE
from finnflow.sim.verilator import build, simulate
from finnflow.tools import verilator_version


@dataclass
class RtlsimResult:
    outputs: np.ndarray  # [frames, output elements]
    cycles_per_frame: float  # steady-state initiation interval
    latency_cycles: int  # first input word accepted -> last output word of frame 0
    total_cycles: int
    build_seconds: float
    sim_seconds: float
    verilator: str
    frame_ends: list[int] = field(default_factory=list)  # cycle of each frame's last output word
    stdout: str = ""  # what the design printed, e.g. the FIFO monitor's peaks
    popcounts: str = "model"  # the popcounts simulated: the proven netlists' models, or "netlist"

    def summary(self, clock_mhz: float) -> dict:
        return {
            "frames": int(len(self.outputs)),
            "cycles_per_frame": self.cycles_per_frame,
            "latency_cycles": self.latency_cycles,
            "fps": clock_mhz * 1e6 / self.cycles_per_frame,
            "total_cycles": self.total_cycles,
            "verilator_build_seconds": round(self.build_seconds, 2),
            "sim_seconds": round(self.sim_seconds, 3),
            "verilator": self.verilator,
            "popcounts": self.popcounts,
        }


def steady_state_interval(frame_end_cycles: list[int]) -> float:
    """Cycles between consecutive frames' last output words, averaged over the second half of
    the run (after the pipeline has filled)."""
    n = len(frame_end_cycles)
    if n < 2:
        return float(frame_end_cycles[0]) if n else float("nan")
    k = n // 2 if n >= 4 else 0
    return (frame_end_cycles[-1] - frame_end_cycles[k]) / (n - 1 - k)


def run_design(
    design: StitchedDesign,
    x: np.ndarray,
    build_dir: Path,
    *,
    defines: tuple[str, ...] = (),
    frame_interval: int = 0,
    netlist_popcounts: bool = False,
    **sim_options,
) -> RtlsimResult:
    """Stream the integer frames ``x`` [frames, inputs] through ``design``, frame ``k`` offered
    from cycle ``k * frame_interval`` on; the Verilator build (with preprocessor ``defines``)
    goes to (and is cached in) ``build_dir``. A run is a deadlock when no word moves for longer
    than the design's work on a frame takes (twice its latency bound, at least 10,000 cycles).

    The popcounts are simulated by their behavioral models, cycle for cycle the netlists they
    stand for (each netlist is proven when it is written, :func:`finnflow.rtl.popcount.prove`),
    which build 1.2x to 6.9x faster (``bench/results/rtlsim.md``); ``netlist_popcounts``
    simulates the netlists themselves."""
    sim_options.setdefault("max_idle", max(10000, 2 * design.latency_bound))
    if not netlist_popcounts:
        defines = (*defines, MODEL_DEFINE)
    t0 = time.time()
    binary = build(design.top, design.source_paths, {}, Path(build_dir), defines)
    t1 = time.time()
    frames = np.asarray(x, dtype=np.int64).reshape(len(x), -1)
    words = design.input.pack_frames(frames)
    per_frame = design.out_words_per_frame
    res = simulate(
        binary,
        words,
        per_frame * len(frames),
        frame_interval=frame_interval,
        words_per_frame=design.in_words_per_frame,
        cwd=design.directory,
        **sim_options,
    )
    t2 = time.time()
    ends = res.out_cycles[per_frame - 1 :: per_frame]
    return RtlsimResult(
        outputs=design.output.unpack_frames(res.out_words, len(frames)),
        cycles_per_frame=steady_state_interval(ends),
        latency_cycles=int(ends[0] - res.in_cycles[0] + 1),
        total_cycles=res.cycles,
        build_seconds=t1 - t0,
        sim_seconds=t2 - t1,
        verilator=verilator_version(),
        frame_ends=ends,
        stdout=res.stdout,
        popcounts="netlist" if netlist_popcounts else "model",
    )


def simulate_stitched(
    model: ModelWrapper, x: np.ndarray, out_dir: Path, **sim_options
) -> tuple[StitchedDesign, RtlsimResult]:
    """Generate the RTL of the stitched dataflow graph ``model`` into ``out_dir/rtl`` and
    simulate it on the integer inputs ``x`` (Verilator build in ``out_dir/verilator``)."""
    design = generate_rtl(model, Path(out_dir) / "rtl")
    return design, run_design(design, x, Path(out_dir) / "verilator", **sim_options)
