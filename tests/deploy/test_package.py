"""``finnflow deploy``: what the package holds (data files only numbers, read without pickle;
the bitstream when the build has one), what a wrong build folder gives (one line naming the
problem and the fix, exit code 2), and the ssh/scp commands that copy it to a board."""

import json
import os
import shutil
import stat

import numpy as np
import pytest

from finnflow.build import run_build
from finnflow.cli import main
from finnflow.deploy.package import META_FILE, copy_commands, copy_to_board, make_package
from finnflow.deploy.shell import SHELL_FILE
from finnflow.errors import ConfigError, FinnflowError


def test_package_files(package, finished_build):
    files = sorted(p.name for p in package.path.iterdir())
    assert files == ["accelerator.json", "arrays.npz", "driver.py", "rtl", "sample.npz"]
    assert not package.bitstream
    meta = json.loads((package.path / META_FILE).read_text())
    design = json.loads((finished_build / "rtl" / "design.json").read_text())
    assert meta["bitfile"] is None and meta["clock_mhz"] == 100.0
    assert meta["input"]["lanes"] == design["input"]["lanes"]
    assert meta["input"]["words_per_frame"] == design["in_words_per_frame"]
    assert meta["output"]["bits"] == design["output"]["bits"]
    for name in ("arrays.npz", "sample.npz"):
        with np.load(package.path / name, allow_pickle=False) as data:
            assert all(data[k].dtype != object for k in data.files)
    with np.load(package.path / "sample.npz", allow_pickle=False) as data:
        assert sorted(data.files) == ["expected", "x", "y"]
        assert data["x"].shape == (100, 64) and data["x"].dtype == np.float32
    assert (package.path / "rtl" / SHELL_FILE.name).is_file()
    for source in design["sources"]:
        assert (package.path / "rtl" / source).is_file()


def test_cli_deploy_copies_a_bitstream_when_the_build_has_one(finished_build, tmp_path, capsys):
    vivado = finished_build / "vivado"
    vivado.mkdir(exist_ok=True)
    try:
        (vivado / "finnflow.bit").write_bytes(b"\x00bit")
        (vivado / "finnflow.hwh").write_text("<hwh/>")
        out = tmp_path / "pkg"
        assert main(["deploy", str(finished_build), "--out", str(out), "--samples", "10"]) == 0
    finally:
        (vivado / "finnflow.bit").unlink()
        (vivado / "finnflow.hwh").unlink()
    assert "with a bitstream and 10 sample images" in capsys.readouterr().out
    assert (out / "finnflow.bit").read_bytes() == b"\x00bit"
    assert json.loads((out / META_FILE).read_text())["bitfile"] == "finnflow.bit"
    # deploying again replaces the package
    assert main(["deploy", str(finished_build), "--out", str(out), "--samples", "5"]) == 0
    assert not (out / "finnflow.bit").exists()


def _partial_build(build_dir, quick_config):
    out = build_dir / "deploy-partial"
    if not out.is_dir():
        run_build(quick_config("w2a2", epochs=1, hidden=[16]), out, stop_step="partition")
    return out


def _no_rtl(t, build_dir, quick_config, _):
    return [str(_partial_build(build_dir, quick_config))]


def _not_a_build(t, *_):
    (t / "x").mkdir()
    (t / "x" / "model.onnx").write_text("")
    return [str(t / "x")]


def _out_is_another_folder(t, build_dir, quick_config, finished_build):
    (t / "mine").mkdir()
    (t / "mine" / "notes.txt").write_text("keep me")
    return [str(finished_build), "--out", str(t / "mine")]


CASES = [
    ("missing", lambda t, *_: [str(t / "nope")], ["does not exist", "finnflow build"]),
    ("file", lambda t, *_: [str(t / "f.txt")], ["is a file", "--out"]),
    ("not_a_build", _not_a_build, ["not a finnflow build folder", "finnflow build"]),
    ("no_rtl", _no_rtl, ["no generated RTL", "rtlgen", "without --stop-step"]),
    ("out_is_another_folder", _out_is_another_folder, ["no deployment package", "--out"]),
    ("no_samples", lambda t, b, q, f: [str(f), "--samples", "0"], ["at least 1"]),
    (
        "out_unwritable",
        lambda t, b, q, f: [str(f), "--out", str(t / "f.txt" / "pkg")],
        ["cannot write the package", "--out"],
    ),
]


DEPLOY_ONLY = ("out_is_another_folder", "no_samples", "out_unwritable")


@pytest.mark.parametrize(
    "command, case, argv, words",
    [
        pytest.param(command, *c, id=f"{command}-{c[0]}")
        for command in ("deploy", "bitstream")
        for c in CASES
        if command == "deploy" or c[0] not in DEPLOY_ONLY
    ],
)
def test_bad_build_folder(
    command, case, argv, words, tmp_path, build_dir, quick_config, finished_build, capsys
):
    (tmp_path / "f.txt").write_text("x")
    args = argv(tmp_path, build_dir, quick_config, finished_build)
    capsys.readouterr()
    code = main([command, *args])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert line.startswith("finnflow: error: ")
    for word in words:
        assert word in line
    if case == "out_is_another_folder":
        assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_rtl_with_a_missing_source(finished_build, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(finished_build, broken, ignore=shutil.ignore_patterns("verilator", "deploy"))
    (broken / "rtl" / "finnflow_mvau.sv").unlink()
    with pytest.raises(FinnflowError, match=r"missing \(finnflow_mvau.sv\).*RTL folder again"):
        make_package(broken)


# ----------------------------------------------------------------------------- copy to a board
def test_copy_commands(package):
    ssh, scp = copy_commands(package.path, "xilinx@pynq", "~/finnflow/tfc")
    assert ssh == ["ssh", "xilinx@pynq", "mkdir -p finnflow/tfc"]
    files = sorted(str(p) for p in package.path.iterdir())
    assert scp == ["scp", "-r", "-q", *files, "xilinx@pynq:finnflow/tfc/"]
    ssh, scp = copy_commands(package.path, "192.168.2.99", "/home/xilinx/jupyter_notebooks/x")
    assert ssh[2] == "mkdir -p /home/xilinx/jupyter_notebooks/x"
    assert scp[-1] == "192.168.2.99:/home/xilinx/jupyter_notebooks/x/"


@pytest.mark.parametrize(
    "host, remote, match",
    [
        ("-oProxyCommand=x", "finnflow/a", "USER@HOST"),
        ("xilinx@pynq:22", "finnflow/a", "USER@HOST"),
        ("xilinx@pynq", "a;rm -rf ~", "--remote-dir"),
        ("xilinx@pynq", "-rf", "--remote-dir"),
        ("xilinx@pynq", "/", "--remote-dir"),
        ("xilinx@pynq", "~user/x", "--remote-dir"),
    ],
)
def test_copy_refuses_hosts_and_folders_it_cannot_pass_safely(package, host, remote, match):
    with pytest.raises(ConfigError, match=match):
        copy_commands(package.path, host, remote)


def _fake_tool(bin_dir, name, code=0, message=""):
    """An ssh or scp that records its arguments and exits with ``code``."""
    path = bin_dir / name
    path.write_text(
        f'#!/bin/sh\necho "$0 $*" >> "{bin_dir}/calls"\n'
        f'[ -n "{message}" ] && echo "{message}" >&2\nexit {code}\n'
    )
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_copy_runs_ssh_then_scp(package, finished_build, tmp_path, monkeypatch, capsys):
    _fake_tool(tmp_path, "ssh")
    _fake_tool(tmp_path, "scp")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = str(tmp_path / "pkg")
    assert main(["deploy", str(finished_build), "--out", out, "--host", "xilinx@pynq"]) == 0
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls[0] == f"{tmp_path}/ssh xilinx@pynq mkdir -p finnflow/{package.name}"
    assert calls[1].startswith(f"{tmp_path}/scp -r -q ")
    assert calls[1].endswith(f" xilinx@pynq:finnflow/{package.name}/")
    assert f"copied to xilinx@pynq:finnflow/{package.name}" in capsys.readouterr().out


def test_copy_failure_is_one_line(package, tmp_path, monkeypatch):
    _fake_tool(tmp_path, "ssh", 255, "ssh: connect to host pynq port 22: No route to host")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(FinnflowError, match="No route to host.*ssh xilinx@pynq"):
        copy_to_board(package.path, "xilinx@pynq", "finnflow/x")
