"""The stall check that the FC and conv rtlsim tests share."""

from pathlib import Path

import numpy as np

from finnflow.execute import execute
from finnflow.hw.estimate import expected_cycles
from finnflow.sim.rtlsim import simulate_stitched


def check_under_stalls(
    model, x: np.ndarray, out: Path, seed: int, bubble: float, backpressure: float
):
    """Simulate the stitched ``model`` on the integer frames ``x`` free-running, with random gaps
    in the input's tvalid (``bubble``) and the output's tready (``backpressure``), and with gaps
    for the first third of the run only. Every frame must come out once, in order, equal to the
    Python execution; stalls never make the run shorter; once they stop, frames leave at the
    estimated rate again."""
    expected = execute(model, x)[model.graph.output[0].name].reshape(len(x), -1)
    assert len(np.unique(expected)) > 1, "outputs must be non-trivial"
    _, free = simulate_stitched(model, x, out)
    stalls = dict(bubble=bubble, backpressure=backpressure, seed=seed)
    _, stalled = simulate_stitched(model, x, out, **stalls)
    assert np.array_equal(free.outputs, expected.astype(np.int64))
    assert np.array_equal(stalled.outputs, free.outputs)
    # never shorter; not always longer: gaps in tready can all fall where the output waits anyway
    assert stalled.total_cycles >= free.total_cycles
    _, settled = simulate_stitched(model, x, out, **stalls, stall_until=free.total_cycles // 3)
    assert np.array_equal(settled.outputs, free.outputs)
    assert settled.cycles_per_frame == free.cycles_per_frame == expected_cycles(model)
