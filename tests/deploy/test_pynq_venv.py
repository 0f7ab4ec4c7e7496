"""The driver where pynq is installed but no board is (slow: a virtual environment of its own with
``pip install pynq``, which brings numpy 1.x): it imports, its numpy processing and packing give
the bytes finnflow's give, and ``python3 driver.py`` stops with one line, no traceback."""

import subprocess
import sys

import numpy as np
import pytest

from finnflow.deploy.shell import shell_params
from finnflow.execute import execute
from finnflow.export import load_model
from finnflow.rtl import StitchedDesign

# in the pynq environment: the driver's pre-processing and packing of the sample
CHECK = """
import json, sys
import numpy as np
import driver
meta = json.load(open("accelerator.json"))
with np.load("arrays.npz", allow_pickle=False) as data:
    arrays = {k: data[k] for k in data.files}
x = np.load("sample.npz", allow_pickle=False)["x"]
x_int = driver.run_processing(meta["preprocess"], arrays, x)
np.save(sys.argv[1], driver.Stream(meta["input"]).pack(x_int))
"""


@pytest.fixture(scope="module")
def pynq_python(tmp_path_factory, tools_required):
    venv = tmp_path_factory.mktemp("pynq") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    proc = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "pynq"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0:
        reason = f"pip install pynq failed: {proc.stderr.strip().splitlines()[-1:]}"
        if tools_required:
            pytest.fail(f"{reason} (FINNFLOW_REQUIRE_TOOLS=1: CI must have it)")
        pytest.skip(reason)
    return python


@pytest.mark.slow
def test_driver_imports_next_to_pynq(pynq_python, board_package):
    code = "import driver, pynq, numpy; print(driver.FORMAT, pynq.__version__, numpy.__version__)"
    proc = subprocess.run(
        [str(pynq_python), "-c", code], cwd=board_package, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    fmt, _, numpy_version = proc.stdout.split()
    assert fmt == "finnflow-deploy-1" and numpy_version.startswith("1.")


@pytest.mark.slow
def test_packed_sample_equals_finnflows(pynq_python, board_package, finished_build, tmp_path):
    """Under the board's numpy 1.x, the sample's bytes for the DMA are the words of
    finnflow.streams for the integers of preprocess.onnx."""
    (board_package / "check.py").write_text(CHECK)
    out = tmp_path / "packed.npy"
    proc = subprocess.run(
        [str(pynq_python), "check.py", str(out)], cwd=board_package, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    pre = load_model(finished_build / "preprocess.onnx")
    x = np.load(board_package / "sample.npz", allow_pickle=False)["x"]
    x_int = execute(pre, x)[pre.graph.output[0].name].reshape(len(x), -1)
    design = StitchedDesign.load(finished_build / "rtl")
    word_bytes = shell_params(design)["IN_DMA_WIDTH"] // 8
    words = design.input.pack_frames(x_int)
    expected = b"".join(w.to_bytes(word_bytes, "little") for w in words)
    assert np.load(out).tobytes() == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    "args, words",
    [
        ([], ["cannot load the overlay finnflow.bit", "No Devices Found", "--backend rtlsim"]),
        (["--backend", "rtlsim"], ["rtlsim backend needs finnflow"]),
    ],
)
def test_driver_without_a_board_says_so_in_one_line(pynq_python, board_package, args, words):
    proc = subprocess.run(
        [str(pynq_python), "driver.py", *args], cwd=board_package, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("driver: error: ")
    for word in words:
        assert word in line
