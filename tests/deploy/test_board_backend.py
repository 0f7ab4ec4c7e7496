"""The driver's board backend, run against a stand-in for pynq (fake_pynq/) whose AXI DMA moves
the driver's buffers through the virtual board: the driver loads the overlay, sets the fabric
clock, allocates DMA buffers, flushes and invalidates them, arms the receive channel and sends,
one transfer each way per batch, and gets the build's labels back."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FAKE_PYNQ = Path(__file__).with_name("fake_pynq")


@pytest.fixture
def fake_pynq(monkeypatch, board_package, sim_dir):
    monkeypatch.syspath_prepend(str(FAKE_PYNQ))
    monkeypatch.setenv("FAKE_PYNQ_PACKAGE", str(board_package))
    monkeypatch.setenv("FAKE_PYNQ_WORK", str(sim_dir))
    for name in ("pynq", "pynq.ps"):
        sys.modules.pop(name, None)
    yield __import__("pynq")
    for name in ("pynq", "pynq.ps"):
        sys.modules.pop(name, None)


def test_classify_through_the_board_backend(fake_pynq, board_package, digits):
    from finnflow.deploy.driver import FinnflowAccelerator

    fake_pynq.Clocks.fclk0_mhz = 50.0
    acc = FinnflowAccelerator(board_package, "pynq", batch_size=40)
    assert fake_pynq.Clocks.fclk0_mhz == 100.0 == acc.clock_mhz
    flushes, invalidations = fake_pynq.PynqBuffer.flushes, fake_pynq.PynqBuffer.invalidations
    val = acc.validate()
    assert val["frames"] == 100 and val["agree_with_build"] == 100
    assert acc.backend.dma.transfers == 3  # 40 + 40 + 20 frames
    assert fake_pynq.PynqBuffer.flushes - flushes == 3
    assert fake_pynq.PynqBuffer.invalidations - invalidations == 3
    res = acc.throughput_test()
    assert res["backend"] == "pynq" and res["batch_size"] == 40
    assert res["throughput[images/s]"] > 0 and res["fclk[mhz]"] == 100.0


def test_driver_script_on_the_board_backend(fake_pynq, board_package, package, sim_dir):
    env = {
        **os.environ,
        "PYTHONPATH": str(FAKE_PYNQ),
        "FAKE_PYNQ_PACKAGE": str(board_package),
        "FAKE_PYNQ_WORK": str(sim_dir),
    }
    proc = subprocess.run(
        [sys.executable, "driver.py", "--batch-size", "64"],
        cwd=board_package,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"{package.name} on pynq (Pynq-Z1, 100 MHz)"
    assert "labels agree with the build's on 100/100" in lines[2]


def test_an_overlay_without_the_dma_is_refused(fake_pynq, board_package):
    from finnflow.deploy.driver import DriverError, FinnflowAccelerator

    meta = json.loads((board_package / "accelerator.json").read_text())
    meta["dma"]["name"] = "axi_dma_7"
    other = board_package.parent / "other"
    shutil.copytree(board_package, other, dirs_exist_ok=True)
    (other / "accelerator.json").write_text(json.dumps(meta))
    with pytest.raises(DriverError, match="has no axi_dma_7"):
        FinnflowAccelerator(other, "pynq")
