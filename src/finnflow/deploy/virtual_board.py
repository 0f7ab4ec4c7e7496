"""The virtual board: a deployment package's accelerator simulated with Verilator behind the
DMA shell, fed the byte buffers the driver would hand the board's DMA. It is the driver's rtlsim
backend, so the driver's packing, batching and timing run on a host exactly as on the board."""

from pathlib import Path

import numpy as np

from finnflow.deploy.shell import SHELL_FILE, SHELL_TOP, shell_params
from finnflow.errors import ConfigError
from finnflow.files import cache_dir
from finnflow.rtl import StitchedDesign
from finnflow.rtl.generate import DESIGN_FILE
from finnflow.sim.rtlsim import steady_state_interval
from finnflow.sim.verilator import build, simulate


def default_work_dir() -> Path:
    """Where virtual boards are built and kept: ``$FINNFLOW_SIM_CACHE``, else
    ``~/.cache/finnflow/verilator`` (not the package, which is copied to boards as it is)."""
    return cache_dir("verilator", "FINNFLOW_SIM_CACHE")


class VirtualBoard:
    """The design of ``rtl_dir`` (a copy of a build's ``rtl/`` holding the shell too) at
    ``clock_mhz``; the Verilator build goes to (and is cached in) ``work_dir``."""

    def __init__(self, rtl_dir: Path, clock_mhz: float, work_dir: Path | None = None):
        rtl_dir = Path(rtl_dir)
        shell = rtl_dir / SHELL_FILE.name
        if not (rtl_dir / DESIGN_FILE).is_file() or not shell.is_file():
            raise ConfigError(
                f"{rtl_dir} lacks {DESIGN_FILE} or {SHELL_FILE.name}: make the package again "
                "with `finnflow deploy BUILD_DIR`"
            )
        self.design = StitchedDesign.load(rtl_dir)
        self.params = shell_params(self.design)
        self.in_bytes = self.params["IN_DMA_WIDTH"] // 8
        self.out_bytes = self.params["OUT_DMA_WIDTH"] // 8
        self.clock_mhz = clock_mhz
        sources = [*self.design.source_paths, shell]
        self.binary = build(SHELL_TOP, sources, self.params, Path(work_dir or default_work_dir()))

    def run(self, ibuf: np.ndarray, obuf: np.ndarray, frames: int) -> dict:
        """Move ``ibuf`` into the accelerator and its output into ``obuf``, as one DMA transfer
        each way; the simulated time from the first input word to the last output word."""
        raw = np.asarray(ibuf, dtype=np.uint8).reshape(-1, self.in_bytes)
        words = [int.from_bytes(row.tobytes(), "little") for row in raw]
        per_frame = self.design.out_words_per_frame
        res = simulate(self.binary, words, frames * per_frame, cwd=self.design.directory)
        out = b"".join(w.to_bytes(self.out_bytes, "little") for w in res.out_words)
        obuf[:] = np.frombuffer(out, dtype=np.uint8)
        cycles = res.out_cycles[-1] - res.in_cycles[0] + 1
        return {
            "seconds": cycles / (self.clock_mhz * 1e6),
            "cycles": cycles,
            "cycles_per_frame": steady_state_interval(res.out_cycles[per_frame - 1 :: per_frame]),
        }
