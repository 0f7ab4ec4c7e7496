"""Fixtures for RTL simulation tests (Verilator)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

_SRC = Path(__file__).resolve().parents[2] / "src"
try:
    import finnflow.sim.verilator  # noqa: F401
except ImportError:  # not installed yet: use the source tree
    sys.path.insert(0, str(_SRC))

from finnflow.sim import verilator as vl  # noqa: E402

RTL_LIB = _SRC / "finnflow" / "rtl" / "lib"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (deselect with -m 'not slow')")


def rtl_sources() -> list[Path]:
    return sorted(RTL_LIB.glob("*.sv"))


@pytest.fixture(scope="session")
def verilator_tool():
    try:
        return vl.find_verilator()
    except vl.ToolNotFoundError as exc:
        pytest.skip(str(exc))


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
        return vl.build(top, rtl_sources(), params, sim_dir / "bin")

    return _build


@pytest.fixture(scope="session")
def yosys_exe():
    exe = shutil.which("yosys")
    if exe is None:
        pytest.skip("yosys not installed (apt-get install yosys)")
    return exe
