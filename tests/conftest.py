"""Shared fixtures: real data (scikit-learn digits), small trained builds, Verilator and Yosys."""

import os
import shutil
import warnings
from pathlib import Path

import pytest

from finnflow import tools
from finnflow.config import BuildConfig, TrainConfig, validate
from finnflow.errors import ToolNotFoundError
from finnflow.rtl import library_sources
from finnflow.rtl.popcount import mvau_popcounts
from finnflow.sim import verilator as vl

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"
SHARED_CIFAR10 = SHARED_MNIST.parent / "cifar10-jpeg"
# .ci/run sets this: there a missing tool or dataset fails the test instead of skipping it
REQUIRE_ALL = os.environ.get("FINNFLOW_REQUIRE_TOOLS") == "1"


def skip_or_fail(reason: str):
    """Skip on a laptop without the tool or data; fail under CI."""
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (FINNFLOW_REQUIRE_TOOLS=1: CI must have it)")
    pytest.skip(reason)


warnings.filterwarnings("ignore")


@pytest.fixture(scope="session")
def tools_required() -> bool:
    """Whether a missing tool or dataset must fail the test (under CI)."""
    return REQUIRE_ALL


@pytest.fixture(scope="session")
def digits():
    from finnflow.training import load_dataset

    return load_dataset("digits")


def make_quick_config(precision: str, input_bits: int = 8, epochs: int = 4, **kw) -> BuildConfig:
    """A small TFC-shaped build on digits (hidden 64-32), trained for a few epochs, folded for
    100k FPS unless ``folding`` is given."""
    return validate(
        BuildConfig(
            name=f"test-{precision}-i{input_bits}",
            network="FC",
            hidden=kw.pop("hidden", [64, 32]),
            precision=precision,
            input_bits=input_bits,
            dataset="digits",
            train=TrainConfig(epochs=epochs),
            verify_samples=kw.pop("verify_samples", 300),
            rtlsim=kw.pop("rtlsim", False),
            target_fps=kw.pop("target_fps", None if "folding" in kw else 100000),
            **kw,
        )
    )


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("builds")


@pytest.fixture(scope="session")
def quick_config():
    """Factory of small digits builds: ``quick_config("w2a2", input_bits=8, epochs=4, ...)``."""
    return make_quick_config


@pytest.fixture(scope="session")
def shared_mnist():
    if not SHARED_MNIST.is_dir():
        skip_or_fail("shared MNIST files not present")
    return SHARED_MNIST


@pytest.fixture(scope="session")
def shared_cifar10():
    """The folder of the CIFAR-10 JPEG archives."""
    if not SHARED_CIFAR10.is_dir():
        skip_or_fail("shared CIFAR-10 archives not present")
    return SHARED_CIFAR10


@pytest.fixture(scope="session")
def data_cache(tmp_path_factory) -> Path:
    """Decoded-dataset cache: $FINNFLOW_DATA_CACHE if set (persistent), else a session tmp dir."""
    env = os.environ.get("FINNFLOW_DATA_CACHE")
    return Path(env) if env else tmp_path_factory.mktemp("data-cache")


@pytest.fixture(scope="session")
def cifar10_test(shared_cifar10, data_cache):
    """CIFAR-10's 10,000 test images (uint8 [N, 3, 32, 32]) and labels, decoded once."""
    from finnflow.training.cifar10 import load_split

    return load_split(shared_cifar10 / "cifar10-jpeg-test.tar.gz", "test", data_cache)


@pytest.fixture(scope="session")
def cifar10_small(cifar10_test):
    """A small CIFAR-10 dataset cut from the test images: 4,000 to train on, 1,000 to test."""
    from finnflow.training.datasets import IMAGE_SHAPES, Dataset

    x = cifar10_test[0].reshape(len(cifar10_test[0]), -1).astype("float32") / 255
    y = cifar10_test[1]
    return Dataset(
        "cifar10", x[:4000], y[:4000], x[4000:5000], y[4000:5000], IMAGE_SHAPES["cifar10"]
    )


@pytest.fixture(scope="session")
def verilator_tool():
    try:
        return tools.find_verilator()
    except ToolNotFoundError as exc:
        skip_or_fail(str(exc))


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory, verilator_tool) -> Path:
    """Build cache directory: $FINNFLOW_SIM_CACHE if set (persistent), else a session tmp dir."""
    env = os.environ.get("FINNFLOW_SIM_CACHE")
    d = Path(env) if env else tmp_path_factory.getbasetemp() / "verilator"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def build_rtl(sim_dir):
    """build_rtl(top, params) -> testbench binary for a module of the RTL library."""

    def _build(top: str, params: dict) -> Path:
        popcounts = mvau_popcounts(params) if top == "finnflow_mvau" else ()
        sources = library_sources(sim_dir / "popcount", popcounts)
        return vl.build(top, sources, params, sim_dir / "bin")

    return _build


@pytest.fixture(scope="session")
def iverilog_tool() -> tuple[str, str]:
    """(iverilog, vvp) executables."""
    iverilog, vvp = shutil.which("iverilog"), shutil.which("vvp")
    if iverilog is None or vvp is None:
        skip_or_fail("Icarus Verilog not installed (apt-get install iverilog)")
    return iverilog, vvp


@pytest.fixture(scope="session")
def tclsh() -> str:
    """The Tcl shell, which checks the generated Vivado scripts."""
    exe = shutil.which("tclsh")
    if exe is None:
        skip_or_fail("tclsh not installed (apt-get install tcl)")
    return exe


@pytest.fixture(scope="session")
def yosys_exe():
    try:
        return tools.find_yosys()
    except ToolNotFoundError as exc:
        skip_or_fail(str(exc))
