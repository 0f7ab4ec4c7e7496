"""Stand-in for pynq in the tests, with the part of its API the driver uses: ``Overlay`` (whose
``axi_dma_0`` moves buffers through finnflow's virtual board), ``allocate`` (buffers that count
their flushes and invalidations) and ``ps.Clocks``. The virtual board simulates the package
named by $FAKE_PYNQ_PACKAGE, in $FAKE_PYNQ_WORK; it runs when both channels have a transfer and
the receive channel is waited for, as the hardware would have finished by then."""

import json
import os
from pathlib import Path

import numpy as np

from pynq.ps import Clocks

__version__ = "0.0-test"
__all__ = ["Clocks", "Overlay", "allocate"]


class PynqBuffer(np.ndarray):
    flushes = 0
    invalidations = 0

    def flush(self):
        PynqBuffer.flushes += 1

    def invalidate(self):
        PynqBuffer.invalidations += 1


def allocate(shape, dtype):
    return np.zeros(shape, dtype=dtype).view(PynqBuffer)


class _Channel:
    def __init__(self, dma, receive: bool):
        self.dma, self.receive, self.buffer = dma, receive, None

    def transfer(self, buffer):
        if self.buffer is not None:
            raise RuntimeError("DMA channel not idle")
        self.buffer = buffer

    def wait(self):
        if self.receive:
            self.dma.complete()
        elif self.buffer is None:
            raise RuntimeError("no transfer to wait for")


class _DMA:
    def __init__(self, package: Path):
        from finnflow.deploy.virtual_board import VirtualBoard

        meta = json.loads((package / "accelerator.json").read_text())
        self.out_frame_bytes = meta["output"]["words_per_frame"] * meta["output"]["word_bytes"]
        work = Path(os.environ["FAKE_PYNQ_WORK"])
        self.board = VirtualBoard(package / "rtl", meta["clock_mhz"], work)
        self.sendchannel, self.recvchannel = _Channel(self, False), _Channel(self, True)
        self.transfers = 0

    def complete(self):
        send, recv = self.sendchannel.buffer, self.recvchannel.buffer
        if send is None or recv is None:
            raise RuntimeError("both channels need a transfer")
        self.board.run(send, recv, recv.nbytes // self.out_frame_bytes)
        self.sendchannel.buffer = self.recvchannel.buffer = None
        self.transfers += 1


class Overlay:
    def __init__(self, bitfile: str, download: bool = True):
        bit = Path(bitfile)
        if not bit.is_file() or not bit.with_suffix(".hwh").is_file():
            raise OSError(f"{bitfile} or its .hwh does not exist")
        self.axi_dma_0 = _DMA(Path(os.environ["FAKE_PYNQ_PACKAGE"]))
