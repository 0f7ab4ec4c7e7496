"""Vivado bitstream of a finished build (``finnflow bitstream BUILD_DIR``).

A generated TCL script (``<build>/vivado/make_bitstream.tcl``) packages the stitched RTL of
``rtl/`` with its memory files and the DMA shell as an IP, builds a block design around it (the
Zynq processing system, an AXI DMA in simple mode whose MM2S channel feeds the accelerator and
whose S2MM channel takes its output, one fabric clock at the build's ``clock_mhz``), then runs
synthesis, implementation and bitstream generation, and writes ``finnflow.bit``,
``finnflow.hwh`` and the post-route utilization and timing reports beside itself. The
script needs nothing but Vivado and the build folder; ``finnflow bitstream`` writes it even
where Vivado is missing, so that it can run elsewhere (``docker/run.sh``).

The facts of each processing system (IP, ports, clock settings) are kept here by the synthesis
family of the board's part (:func:`finnflow.synth.family_for`); catalogue boards also name their
Vivado board part, used when the board files are installed (``$FINNFLOW_BOARD_FILES`` adds a
board repository)."""

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import finnflow
from finnflow.boards import Board
from finnflow.deploy.shell import DMA_LENGTH_BITS, SHELL_FILE, SHELL_TOP, shell_params
from finnflow.deploy.source import FinishedBuild, open_build
from finnflow.errors import ConfigError, FinnflowError, ToolNotFoundError
from finnflow.files import write_atomic
from finnflow.synth.vivado_reports import parse_timing_summary, parse_utilization
from finnflow.synth.yosys import family_for

BITSTREAM_DIR = "vivado"
TCL_FILE = "make_bitstream.tcl"
REPORT_FILE = "vivado.json"
DMA_CELL = "axi_dma_0"
ACCEL_CELL = "accel"
IP_VLNV = f"finnflow.org:finnflow:{SHELL_TOP}:1.0"
REPORTS = {
    "design": "utilization.rpt",
    "accelerator": "utilization_accel.rpt",
    "timing": "timing_summary.rpt",
}


@dataclass(frozen=True)
class ProcessingSystem:
    """A Zynq processing system as the block design uses it: its master port controls the DMA,
    its high-performance slave port lets the DMA reach DDR, its first fabric clock and reset
    drive everything in the fabric."""

    name: str
    part_prefix: str
    ip: str
    rule: str
    automation: str  # block automation settings besides apply_board_preset
    config: dict[str, int]  # enables the ports used
    clock_config: str
    master: str
    master_clock: str
    slave: str
    slave_clock: str
    clock: str
    reset: str


PROCESSING_SYSTEMS = {
    "xc7": ProcessingSystem(
        name="Zynq-7000",
        part_prefix="xc7z",
        ip="xilinx.com:ip:processing_system7",
        rule="xilinx.com:bd_rule:processing_system7",
        automation='make_external "FIXED_IO, DDR" Master Disable Slave Disable',
        config={"PCW_USE_M_AXI_GP0": 1, "PCW_USE_S_AXI_HP0": 1},
        clock_config="PCW_FPGA0_PERIPHERAL_FREQMHZ",
        master="M_AXI_GP0",
        master_clock="M_AXI_GP0_ACLK",
        slave="S_AXI_HP0",
        slave_clock="S_AXI_HP0_ACLK",
        clock="FCLK_CLK0",
        reset="FCLK_RESET0_N",
    ),
    "xcup": ProcessingSystem(
        name="Zynq UltraScale+",
        part_prefix="xczu",
        ip="xilinx.com:ip:zynq_ultra_ps_e",
        rule="xilinx.com:bd_rule:zynq_ultra_ps_e",
        automation="",
        config={
            "PSU__USE__M_AXI_GP0": 1,
            "PSU__USE__M_AXI_GP1": 0,
            "PSU__USE__M_AXI_GP2": 0,
            "PSU__USE__S_AXI_GP2": 1,
            "PSU__OVERRIDE__BASIC_CLOCK": 0,
        },
        clock_config="PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ",
        master="M_AXI_HPM0_FPD",
        master_clock="maxihpm0_fpd_aclk",
        slave="S_AXI_HP0_FPD",
        slave_clock="saxihp0_fpd_aclk",
        clock="pl_clk0",
        reset="pl_resetn0",
    ),
}
BOARD_PARTS = {
    "Pynq-Z1": "www.digilentinc.com:pynq-z1:part0:1.0",
    "Ultra96": "avnet.com:ultra96v1:part0:1.2",
    "ZCU104": "xilinx.com:zcu104:part0:1.1",
}


def processing_system(board: Board) -> ProcessingSystem:
    """The processing system of a Zynq board, by its part's synthesis family."""
    ps = PROCESSING_SYSTEMS.get(family_for(board))
    if ps is None or not board.part.lower().startswith(ps.part_prefix):
        names = ", ".join(f"{p.name} ({p.part_prefix}...)" for p in PROCESSING_SYSTEMS.values())
        raise ConfigError(
            f"board {board.name!r} (part {board.part}) has no Zynq processing system to drive the "
            f"DMA; bitstreams are made for {names} boards"
        )
    return ps


def _tcl_dict(values: dict) -> str:
    return " ".join(f"CONFIG.{k} {{{v}}}" for k, v in values.items())


def bitstream_tcl(src: FinishedBuild, jobs: int) -> str:
    """The Vivado script of the build ``src``, to be run from ``<build>/vivado``."""
    board, design = src.board, src.design
    ps = processing_system(board)
    shell = shell_params(design)
    mm_bits = max(32, board.dma_bits, shell["IN_DMA_WIDTH"], shell["OUT_DMA_WIDTH"])
    clock = f"{src.clock_mhz:g}"
    dma = {
        "c_include_sg": 0,
        "c_sg_include_stscntrl_strm": 0,
        "c_sg_length_width": DMA_LENGTH_BITS,
        "c_m_axi_mm2s_data_width": mm_bits,
        "c_m_axis_mm2s_tdata_width": shell["IN_DMA_WIDTH"],
        "c_m_axi_s2mm_data_width": mm_bits,
        "c_s_axis_s2mm_tdata_width": shell["OUT_DMA_WIDTH"],
        "c_mm2s_burst_size": 16,
        "c_s2mm_burst_size": 16,
    }
    values = {
        "VERSION": finnflow.__version__,
        "NAME": src.build.cfg.name,
        "BOARD": board.name,
        "PART": board.part,
        "BOARD_PART": BOARD_PARTS.get(board.name, ""),
        "CLOCK_MHZ": clock,
        "JOBS": str(jobs),
        "SOURCES": " ".join(design.sources),
        "MEM_FILES": " ".join(sorted(p.name for p in src.rtl_dir.glob("*.mem"))),
        "SHELL_FILE": SHELL_FILE.name,
        "SHELL_TOP": SHELL_TOP,
        "SHELL_CONFIG": _tcl_dict(shell),
        "IP_VLNV": IP_VLNV,
        "PS_NAME": ps.name,
        "PS_IP": ps.ip,
        "PS_RULE": ps.rule,
        "PS_AUTOMATION": ps.automation,
        "PS_CONFIG": _tcl_dict({**ps.config, ps.clock_config: clock}),
        "PS_MASTER": ps.master,
        "PS_MASTER_CLOCK": ps.master_clock,
        "PS_SLAVE": ps.slave,
        "PS_SLAVE_CLOCK": ps.slave_clock,
        "PS_CLOCK": ps.clock,
        "PS_RESET": ps.reset,
        "DMA": DMA_CELL,
        "DMA_CONFIG": _tcl_dict(dma),
        "ACCEL": ACCEL_CELL,
        **{f"REPORT_{k.upper()}": v for k, v in REPORTS.items()},
    }
    text = (Path(__file__).with_name("bitstream.tcl")).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise FinnflowError(f"bitstream.tcl: no value for {', '.join(sorted(set(left)))}")
    return text


def write_project(src: FinishedBuild, jobs: int | None = None) -> Path:
    """Write ``make_bitstream.tcl`` and the DMA shell into ``<build>/vivado``; its path."""
    out = src.out / BITSTREAM_DIR
    out.mkdir(exist_ok=True)
    tcl = bitstream_tcl(src, jobs or os.cpu_count() or 1)
    shutil.copyfile(SHELL_FILE, out / SHELL_FILE.name)
    write_atomic(out / TCL_FILE, tcl)
    return out / TCL_FILE


def find_vivado(tcl: Path) -> str:
    exe = shutil.which("vivado")
    if exe is None:
        raise ToolNotFoundError(
            "Vivado not found on PATH: source VIVADO_DIR/settings64.sh first, or run "
            "`docker/run.sh bitstream BUILD_DIR` (README: Deployment); the script it would run "
            f"is written: {tcl}"
        )
    return exe


def run_vivado(exe: str, tcl: Path) -> None:
    """Run the script in its folder, Vivado's log in ``vivado.log`` there."""
    log = tcl.parent / "vivado.log"
    cmd = [exe, "-mode", "batch", "-notrace", "-source", tcl.name, "-log", log.name]
    proc = subprocess.run(
        [*cmd, "-journal", "vivado.jou"],
        cwd=tcl.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if proc.returncode != 0:
        text = log.read_text(errors="replace") if log.is_file() else proc.stderr
        errors = [s.strip() for s in text.splitlines() if s.startswith("ERROR")]
        cause = errors[-1] if errors else f"exit {proc.returncode}"
        raise FinnflowError(f"Vivado failed ({cause}); its log is {log}")


def read_reports(folder: Path, clock_mhz: float) -> dict:
    """The numbers of the post-route reports in ``folder``."""
    texts = {}
    for key, name in REPORTS.items():
        path = folder / name
        if not path.is_file():
            raise FinnflowError(f"{path} is missing: the Vivado run did not finish; see vivado.log")
        texts[key] = path.read_text(errors="replace")
    design = parse_utilization(texts["design"], REPORTS["design"])
    accelerator = parse_utilization(texts["accelerator"], REPORTS["accelerator"])
    timing = parse_timing_summary(texts["timing"], clock_mhz, REPORTS["timing"])
    return {
        "vivado": design.pop("vivado", None),
        "clock_mhz": clock_mhz,
        "design": design,
        "accelerator": {k: v for k, v in accelerator.items() if k != "vivado"},
        "timing": timing,
    }


def make_bitstream(build_dir: Path | str, jobs: int | None = None) -> dict:
    """Write the Vivado script of the build in ``build_dir``, run it, and add the numbers of
    its reports to ``vivado.json`` and ``summary.json`` (under ``vivado``)."""
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs {jobs}: give at least 1 parallel Vivado job")
    src = open_build(build_dir)
    with src.build.locked():
        tcl = write_project(src, jobs)
        exe = find_vivado(tcl)
        run_vivado(exe, tcl)
        report = read_reports(tcl.parent, src.clock_mhz)
        report["bitstream"] = f"{BITSTREAM_DIR}/finnflow.bit"
        write_atomic(src.out / REPORT_FILE, json.dumps(report, indent=2) + "\n")
        summary_path = src.out / "summary.json"
        if summary_path.is_file():
            summary = json.loads(summary_path.read_text())
            summary["vivado"] = report
            write_atomic(summary_path, json.dumps(summary, indent=2, default=float) + "\n")
    return report
