"""The deployment package's driver on its rtlsim backend (the virtual board): real digits test
images go through the driver's numpy pre-processing, its stream packing, the DMA shell and the
generated RTL in Verilator, and come back as the labels the build's Python execution gives; its
throughput test measures the cycles per frame the build's rtlsim step measured."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from finnflow.deploy.driver import DriverError, FinnflowAccelerator
from finnflow.execute import execute
from finnflow.export import load_model

BATCH = 32


@pytest.fixture(scope="module")
def accelerator(package, sim_dir):
    return FinnflowAccelerator(package.path, "rtlsim", batch_size=BATCH, work_dir=sim_dir)


def python_labels(build: str, x: np.ndarray) -> np.ndarray:
    """Labels of the build's ONNX graphs: preprocess -> folded dataflow -> postprocess."""
    pre, df = load_model(build / "preprocess.onnx"), load_model(build / "folded.onnx")
    y = execute(df, execute(pre, x)[pre.graph.output[0].name])[df.graph.output[0].name]
    if (build / "postprocess.onnx").is_file():
        y = execute(load_model(build / "postprocess.onnx"), y)["label"]
    return y.reshape(len(x), -1)[:, 0].astype(np.int64)


def test_labels_equal_the_builds_python_execution(accelerator, finished_build, digits):
    x, y = digits.x_test[:100], digits.y_test[:100]
    labels = accelerator.classify(x)  # four batches: 32, 32, 32 and 4 frames
    expected = python_labels(finished_build, x)
    assert len(labels) == 100
    assert int((labels == expected).sum()) == 100
    assert (labels == y).mean() > 0.8
    val = accelerator.validate()
    assert val["frames"] == 100 and val["agree_with_build"] == 100
    assert val["accuracy"] == pytest.approx(float((labels == y).mean()))


def test_throughput_is_rtlsims_cycles_per_frame_at_the_clock(accelerator, finished_build):
    rtlsim = json.loads((finished_build / "rtlsim.json").read_text())
    clock = accelerator.meta["clock_mhz"]
    accelerator.batch_size = 200
    try:
        res = accelerator.throughput_test()
    finally:
        accelerator.batch_size = BATCH
    cpf, n = rtlsim["cycles_per_frame"], res["batch_size"]
    assert res["cycles_per_frame"] == cpf
    assert res["latency_cycles"] == rtlsim["latency_cycles"]
    # one DMA transfer: the first frame's latency, then one frame per cpf cycles
    assert res["cycles"] == pytest.approx(res["latency_cycles"] + (n - 1) * cpf, abs=cpf)
    assert res["throughput[images/s]"] == pytest.approx(n * clock * 1e6 / res["cycles"])
    steady = clock * 1e6 / cpf
    assert 0.9 * steady < res["throughput[images/s]"] <= steady
    assert res["latency[ms]"] == pytest.approx(res["latency_cycles"] / (clock * 1e3))
    assert 0 < res["throughput_with_packing[images/s]"] < res["throughput[images/s]"]


def test_packed_buffers_hold_the_stream_format(accelerator):
    """What the driver hands the DMA: whole DMA words per frame, little-endian."""
    spec = accelerator.meta["input"]
    x_int = accelerator.preprocess(np.zeros((3, *accelerator.meta["input_shape"])))
    packed = accelerator.pack_input(x_int)
    assert packed.dtype == np.uint8
    assert packed.shape == (3, spec["words_per_frame"] * spec["word_bytes"])
    assert spec["word_bytes"] & (spec["word_bytes"] - 1) == 0  # a DMA stream width


def test_batch_size_beyond_one_dma_transfer_is_refused(accelerator):
    with pytest.raises(DriverError, match="one DMA transfer moves at most"):
        accelerator.batch_size = 10**9
    with pytest.raises(DriverError, match="batch size 0"):
        accelerator.batch_size = 0


def test_driver_script_prints_throughput_and_accuracy(package, accelerator, sim_dir, tmp_path):
    """``python3 driver.py`` as a user runs it (the Verilator build of the fixture reused)."""
    out = tmp_path / "result.json"
    cmd = [sys.executable, str(package.path / "driver.py"), "--backend", "rtlsim", "--json", out]
    env = {**os.environ, "FINNFLOW_SIM_CACHE": str(sim_dir)}
    proc = subprocess.run(
        [*map(str, cmd), "--batch-size", "50"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"{package.name} on rtlsim")
    assert "images/s" in lines[1] and "latency" in lines[1] and "host-side packing" in lines[1]
    assert "labels agree with the build's on 100/100" in lines[2]
    result = json.loads(out.read_text())
    assert result["agree_with_build"] == 100
    assert result["throughput"]["batch_size"] == 50


def test_driver_without_a_bitstream_on_pynq_backend_says_so(package):
    proc = subprocess.run(
        [sys.executable, str(package.path / "driver.py")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("driver: error: ")
    assert "pynq" in line or "bitstream" in line
