"""The generated Vivado script, checked without Vivado: every command complete under Tcl's
``info complete``; a run in tclsh with Vivado's commands recorded (fake_vivado.tcl) for the
PYNQ-Z1 (Zynq-7000) and the Ultra96 (Zynq UltraScale+), which shows that every file the script
adds exists in the build folder and that the block design is wired as intended; and
``finnflow bitstream`` end to end with that stand-in as ``vivado``: the reports' numbers in
vivado.json and summary.json, a failed run as one line."""

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from finnflow.boards import Board
from finnflow.cli import main
from finnflow.deploy.shell import SHELL_FILE, shell_params
from finnflow.deploy.source import open_build
from finnflow.errors import ConfigError
from finnflow.rtl import StitchedDesign
from finnflow.synth.vivado import REPORTS, TCL_FILE, processing_system, write_project

HERE = Path(__file__).parent
FAKE_VIVADO = HERE / "fake_vivado.tcl"

# counts the commands of a script, a command being what Tcl reads as one: lines are joined
# until `info complete` holds; a script that ends inside a command fails
COMPLETE = r"""
set f [open [lindex $argv 0]]
set text [read $f]
close $f
set command ""
set commands 0
set line_no 0
foreach line [split $text "\n"] {
    incr line_no
    append command $line "\n"
    if {[info complete $command]} {
        if {[string trim $command] ne "" && ![string match "#*" [string trim $command]]} {
            incr commands
        }
        set command ""
    }
}
if {$command ne ""} {
    puts "incomplete command from line [expr {$line_no - [llength [split $command "\n"]] + 2}]"
    exit 1
}
puts "commands $commands"
"""


def copy_build(src: Path, dest: Path, board: str | None = None) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("verilator", "deploy", "vivado"))
    if board:
        cfg = yaml.safe_load((dest / "config.yaml").read_text())
        cfg["board"] = board
        (dest / "config.yaml").write_text(yaml.safe_dump(cfg))
    return dest


def run_fake_vivado(tclsh: str, tcl: Path, **env) -> subprocess.CompletedProcess:
    cmd = [tclsh, str(FAKE_VIVADO), "-mode", "batch", "-source", tcl.name, "-log", "vivado.log"]
    return subprocess.run(
        cmd, cwd=tcl.parent, capture_output=True, text=True, env={**os.environ, **env}
    )


def calls(folder: Path) -> list[list[str]]:
    return [line.split("\t") for line in (folder / "calls.txt").read_text().splitlines()]


def test_every_command_is_complete(finished_build, tmp_path, tclsh):
    tcl = write_project(open_build(copy_build(finished_build, tmp_path / "b")))
    (tmp_path / "complete.tcl").write_text(COMPLETE)
    proc = subprocess.run(
        [tclsh, str(tmp_path / "complete.tcl"), str(tcl)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert int(proc.stdout.split()[-1]) > 50
    broken = tmp_path / "broken.tcl"
    broken.write_text(tcl.read_text().replace("foreach pin [list", "foreach pin [list {", 1))
    proc = subprocess.run([tclsh, str(tmp_path / "complete.tcl"), str(broken)], capture_output=True)
    assert proc.returncode == 1


@pytest.mark.parametrize(
    "board, ps_ip, clock_setting, hp_port",
    [
        ("Pynq-Z1", "processing_system7", "PCW_FPGA0_PERIPHERAL_FREQMHZ", "S_AXI_HP0"),
        ("Ultra96", "zynq_ultra_ps_e", "PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ", "S_AXI_HP0_FPD"),
    ],
)
def test_script_runs_and_adds_only_files_of_the_build(
    finished_build, tmp_path, tclsh, board, ps_ip, clock_setting, hp_port
):
    build = copy_build(finished_build, tmp_path / "b", board)
    tcl = write_project(open_build(build), jobs=3)
    proc = run_fake_vivado(tclsh, tcl)
    assert proc.returncode == 0, proc.stderr
    recorded = calls(tcl.parent)
    names = [c[0] for c in recorded]
    added = [p for c in recorded if c[0] == "add_files" for p in c[-1].split()]
    design = StitchedDesign.load(build / "rtl")
    mems = sorted(p.name for p in (build / "rtl").glob("*.mem"))
    expected = [build / "rtl" / f for f in [*design.sources, *mems]] + [
        tcl.parent / SHELL_FILE.name
    ]
    assert [Path(p) for p in added] == [p.resolve() for p in expected]
    assert all(Path(p).is_file() for p in added)
    assert ["get_ipdefs", f"xilinx.com:ip:{ps_ip}:*"] in recorded
    settings = {}
    for c in recorded:
        if c[:2] == ["set_property", "-dict"]:
            words = c[2].split()
            settings.update(zip(words[::2], words[1::2], strict=True))
    assert settings[f"CONFIG.{clock_setting}"] == "100"
    assert settings["CONFIG.c_include_sg"] == "0"
    for key, value in shell_params(design).items():
        assert settings[f"CONFIG.{key}"] == str(value)
    assert ["get_bd_intf_pins", f"ps/{hp_port}"] in recorded
    assert ["launch_runs", "impl_1", "-to_step", "write_bitstream", "-jobs", "3"] in recorded
    assert names.index("ipx::package_project") < names.index("create_bd_design")
    assert names.count("report_utilization") == 2 and "report_timing_summary" in names
    assert (tcl.parent / "finnflow.bit").is_file() and (tcl.parent / "finnflow.hwh").is_file()


def test_script_stops_when_a_file_is_missing(finished_build, tmp_path, tclsh):
    build = copy_build(finished_build, tmp_path / "b")
    tcl = write_project(open_build(build))
    next((build / "rtl").glob("*.mem")).unlink()
    proc = run_fake_vivado(tclsh, tcl)
    assert proc.returncode == 1
    assert ".mem is missing: run the build again" in proc.stderr
    assert not (tcl.parent / "calls.txt").read_text()  # before any Vivado command


def _fake_vivado_on_path(tmp_path: Path, tclsh: str, monkeypatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "vivado"
    exe.write_text(f'#!/bin/sh\nexec "{tclsh}" "{FAKE_VIVADO}" "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    reports = tmp_path / "reports"
    reports.mkdir()
    for key, excerpt in (
        ("design", "utilization_xc7.rpt"),
        ("accelerator", "utilization_xcup.rpt"),
        ("timing", "timing_summary_met.rpt"),
    ):
        shutil.copyfile(HERE / "reports" / excerpt, reports / REPORTS[key])
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_VIVADO_REPORTS", str(reports))


def test_finnflow_bitstream_reads_the_reports(finished_build, tmp_path, tclsh, monkeypatch):
    build = copy_build(finished_build, tmp_path / "b")
    _fake_vivado_on_path(tmp_path, tclsh, monkeypatch)
    assert main(["bitstream", str(build), "--jobs", "2"]) == 0
    report = json.loads((build / "vivado.json").read_text())
    assert report["design"]["lut"] == 4871 and report["design"]["bram18"] == 13
    assert report["accelerator"]["lut"] == 2734 and report["accelerator"]["dsp"] == 2
    assert report["timing"]["wns_ns"] == 1.846 and report["timing"]["timing_met"] is True
    assert report["vivado"] == "Vivado v.2023.1" and report["clock_mhz"] == 100.0
    summary = json.loads((build / "summary.json").read_text())
    assert summary["vivado"] == report
    assert (build / "vivado" / TCL_FILE).is_file() and (build / "vivado" / "finnflow.bit").is_file()
    # the package now carries the bitstream
    assert main(["deploy", str(build), "--samples", "3"]) == 0
    meta = json.loads((build / "deploy" / "accelerator.json").read_text())
    assert meta["bitfile"] == "finnflow.bit" and (build / "deploy" / "finnflow.hwh").is_file()


def test_failed_vivado_run_is_one_line(finished_build, tmp_path, tclsh, monkeypatch, capsys):
    build = copy_build(finished_build, tmp_path / "b")
    _fake_vivado_on_path(tmp_path, tclsh, monkeypatch)
    monkeypatch.setenv("FAKE_VIVADO_FAIL", "1")
    assert main(["bitstream", str(build)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("finnflow: error: Vivado failed (ERROR: [Common 17-39] finnflow:")
    assert "did not complete" in line and "vivado.log" in line


def test_without_vivado_the_script_is_still_written(finished_build, tmp_path, monkeypatch, capsys):
    build = copy_build(finished_build, tmp_path / "b")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["bitstream", str(build)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "Vivado not found on PATH" in line and "settings64.sh" in line
    assert str(build / "vivado" / TCL_FILE) in line and (build / "vivado" / TCL_FILE).is_file()


def test_boards_without_a_zynq_are_refused():
    arty = Board("Arty-A7", "xc7a35ticsg324-1L", lut=20800, ff=41600, bram18=100, dsp=90)
    with pytest.raises(ConfigError, match="no Zynq processing system.*Zynq-7000"):
        processing_system(arty)
    kcu = Board("KCU105", "xcku040-ffva1156-2-e", lut=242400, ff=484800, bram18=1200, dsp=1920)
    with pytest.raises(ConfigError, match="no Zynq processing system"):
        processing_system(kcu)
