"""The Docker files and the README's Deployment section agree with each other and with the
code: every variable, build argument, command and option the section names exists where it
says, and the shell scripts parse. (Docker itself cannot run here.)"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from finnflow.cli import _parser
from finnflow.deploy import driver

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def _section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("\n## Deployment\n")
    return text[start : text.index("\n## ", start + 1)]


def _read(name: str) -> str:
    return (DOCKER / name).read_text()


def test_variables_in_the_readme_are_the_scripts():
    section, run = _section(), _read("run.sh")
    table = set(re.findall(r"^\| `(FINNFLOW_[A-Z_]+)`", section, re.M))
    assert {"FINNFLOW_XILINX_PATH", "FINNFLOW_XILINX_VERSION", "FINNFLOW_WITH_FINN"} <= table
    for var in table:
        assert var in run, f"{var} is in the README's table but not in docker/run.sh"
    # every variable run.sh documents in its header is in the table
    header = run.split("set -euo pipefail")[0]
    assert set(re.findall(r"FINNFLOW_[A-Z_]+", header)) == table
    # the others the section names are read by the code
    src = ROOT / "src" / "finnflow"
    code = "".join(p.read_text() for p in [*src.rglob("*.py"), *src.rglob("*.tcl")])
    for var in set(re.findall(r"FINNFLOW_[A-Z_]+", section)) - table:
        assert var in code, var
    # the board files reach Vivado, and the entrypoint reads what run.sh passes
    assert "FINNFLOW_BOARD_FILES" in (ROOT / "src/finnflow/synth/bitstream.tcl").read_text()
    entry = _read("entrypoint.sh")
    assert "FINNFLOW_XILINX_PATH" in entry and "FINNFLOW_XILINX_VERSION" in entry


def test_build_arguments_exist():
    dockerfile, section, run = _read("Dockerfile"), _section(), _read("run.sh")
    args = set(re.findall(r"^ARG (\w+)", dockerfile, re.M))
    assert {"WITH_FINN", "FINN_COMMIT"} <= args
    for arg in ("WITH_FINN", "FINN_COMMIT"):
        assert f"`{arg}`" in section
    assert '--build-arg "WITH_FINN=' in run
    default = re.search(r"^ARG FINN_COMMIT=(\S+)", dockerfile, re.M).group(1)
    assert f"`{default}`" in section


def test_commands_and_options_exist():
    section = _section()
    sub = next(a for a in _parser()._actions if a.dest == "command")
    for command in set(re.findall(r"(?:^|`)(?:finnflow|docker/run\.sh) ([a-z]+)", section, re.M)):
        assert command in sub.choices or command == "bash", command
    options = {o for p in sub.choices.values() for a in p._actions for o in a.option_strings}
    driver_source = Path(driver.__file__).read_text()
    for option in set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", section)):
        assert option in options or f'"{option}"' in driver_source, option
    assert "--backend rtlsim" in section and '"--backend"' in driver_source
    for path in ("docker/run.sh", "docker/Dockerfile"):
        assert (ROOT / path).is_file() and path in section


def test_scripts_parse_and_run_sh_refuses_bitstream_without_vivado(tmp_path):
    for name in ("run.sh", "entrypoint.sh"):
        subprocess.run(["bash", "-n", str(DOCKER / name)], check=True)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [str(DOCKER / "run.sh"), "bitstream", "build/x"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 2 and "FINNFLOW_XILINX_PATH" in proc.stderr


@pytest.mark.parametrize("layout", ["Vivado/2022.2", "2025.1/Vivado"])
def test_entrypoint_sources_vivados_settings(tmp_path, layout):
    version = layout.split("/")[0 if layout[0].isdigit() else 1]
    settings = tmp_path / "Xilinx" / layout / "settings64.sh"
    settings.parent.mkdir(parents=True)
    settings.write_text('export PATH="/opt/vivado-bin:$PATH"\n')
    env = {
        "PATH": "/usr/bin:/bin",
        "FINNFLOW_XILINX_PATH": str(tmp_path / "Xilinx"),
        "FINNFLOW_XILINX_VERSION": version,
    }
    entry = str(DOCKER / "entrypoint.sh")
    proc = subprocess.run(
        [entry, "sh", "-c", "echo $PATH"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0 and proc.stdout.startswith("/opt/vivado-bin:")
    env["FINNFLOW_XILINX_VERSION"] = "1999.1"
    proc = subprocess.run([entry, "true"], capture_output=True, text=True, env=env)
    assert proc.returncode == 2 and "no settings64.sh of Vivado 1999.1" in proc.stderr


def test_dockerfile_copies_only_what_its_ignore_file_lets_in():
    dockerfile = _read("Dockerfile")
    copied = [p for line in re.findall(r"^COPY (.+)$", dockerfile, re.M) for p in line.split()[:-1]]
    allowed = [
        line[1:] for line in _read("Dockerfile.dockerignore").splitlines() if line.startswith("!")
    ]
    assert all(p in allowed for p in copied), (copied, allowed)
    assert all((ROOT / p).exists() for p in copied)
    assert shutil.which("bash")
