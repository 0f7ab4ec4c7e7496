"""Yosys: the RTL library parses, elaborates and synthesises (synth_xilinx)."""

from __future__ import annotations

import re
import subprocess

import pytest

from finnflow.rtl import LIB_DIR, library_sources
from finnflow.rtl.popcount import mvau_popcounts
from finnflow.streams import pack


def _yosys(yosys_exe, script: str, tmp_path, timeout=300):
    (tmp_path / "run.ys").write_text(script)
    proc = subprocess.run(
        [yosys_exe, "-q", "-l", str(tmp_path / "yosys.log"), "-s", str(tmp_path / "run.ys")],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    log = (tmp_path / "yosys.log").read_text() if (tmp_path / "yosys.log").exists() else ""
    assert proc.returncode == 0, f"yosys failed:\n{proc.stderr[-3000:]}\n{log[-3000:]}"
    return log


def _chparam(top: str, params: dict) -> str:
    args = " ".join(
        f'-set {k} "{v}"' if isinstance(v, str) else f"-set {k} {v}" for k, v in params.items()
    )
    return f"chparam {args} {top}"


def _read(tmp_path, params: dict) -> str:
    """Read the library, the popcount for an MVAU's ``params`` and the Xilinx primitives the
    popcounts instantiate (as ``synth_xilinx`` reads them)."""
    files = library_sources(tmp_path / "popcount", mvau_popcounts(params))
    return "read_verilog -lib +/xilinx/cells_sim.v\nread_verilog -defer -sv " + " ".join(
        str(s) for s in files
    )


def _mvau_files(tmp_path, nf, sf, ww, tw):
    wf, tf = tmp_path / "w.mem", tmp_path / "t.mem"
    wf.write_text("".join(f"{(i * 0x9E3779B1) % (1 << ww):x}\n" for i in range(nf * sf)))
    tf.write_text("".join(f"{pack([-3 + i, 0, 5], tw // 3, signed=True):x}\n" for i in range(nf)))
    return str(wf), str(tf)


def _synth_mvau(yosys_exe, tmp_path, family: str, **overrides) -> str:
    """``synth_xilinx`` (DSP inference allowed) of an MVAU of MW=16, MH=8, SIMD=4, PE=8 (NF=1,
    SF=4), 4-bit unsigned inputs and signed weights, 3 thresholds, memories in block RAM; the
    statistics."""
    wf, tf = _mvau_files(tmp_path, 1, 4, 8 * 4 * 4, 3 * 12 * 8)
    params = dict(MW=16, MH=8, SIMD=4, PE=8, IBITS=4, ISIGNED=0, WBITS=4, WSIGNED=1, ABITS=12)
    params.update(N_THRES=3, OBITS=2, ACT_VAL=0, WEIGHT_FILE=wf, THRESH_FILE=tf)
    params.update(RAM_STYLE="block", **overrides)
    log = _yosys(
        yosys_exe,
        f"{_read(tmp_path, params)}\n{_chparam('finnflow_mvau', params)}\n"
        f"synth_xilinx -family {family} -flatten -top finnflow_mvau\nstat\n",
        tmp_path,
    )
    return log[log.rindex("Printing statistics") :]


def _cells(stat: str, prefix: str) -> int:
    """Cells of ``stat`` whose type starts with ``prefix``."""
    rows = re.findall(r"^\s+(\S+)\s+(\d+)\s*$", stat, re.M)
    return sum(int(n) for cell, n in rows if cell.startswith(prefix))


def test_synth_xilinx_mvau_lut(yosys_exe, tmp_path):
    stat = _synth_mvau(yosys_exe, tmp_path, "xc7")
    assert _cells(stat, "RAMB18E1") > 0  # ram_style = "block" honoured
    assert _cells(stat, "DSP48") == 0  # the LUT datapath has no multiplier to infer one for


@pytest.mark.parametrize("family,dsp", [("xc7", "DSP48E1"), ("xcup", "DSP48E2")])
def test_synth_xilinx_mvau_dsp(family, dsp, yosys_exe, tmp_path):
    """RES_TYPE "dsp": 3 products of 4 x 4 bits per DSP (fields of 8 bits in the 24 unsigned
    bits of the multiplier's wide operand), so the 8 rows take 3 DSPs per input lane."""
    stat = _synth_mvau(yosys_exe, tmp_path, family, RES_TYPE="dsp")
    assert _cells(stat, dsp) == 4 * 3
    assert _cells(stat, "DSP48") == 4 * 3


@pytest.mark.parametrize(
    "top,params",
    [
        (
            "finnflow_mvau",
            dict(MW=8, MH=4, SIMD=2, PE=2, IBITS=4, WBITS=1, WBIPOLAR=1, ABITS=8, OBITS=8),
        ),
        (
            "finnflow_mvau",
            dict(
                MW=8,
                MH=4,
                SIMD=8,
                PE=4,
                IBITS=1,
                ISIGNED=0,
                WBITS=1,
                BINARY_XNOR=1,
                ABITS=5,
                N_THRES=1,
                OBITS=1,
            ),
        ),
        ("finnflow_thresholding", dict(C=8, PE=2, IBITS=4, N_THRES=3, OBITS=2)),
        ("finnflow_label_select", dict(NUM_LABELS=10, PE=5, IBITS=8)),
        ("finnflow_fifo", dict(WIDTH=16, DEPTH=5, RAM_STYLE="block")),
        ("finnflow_dwc", dict(IN_WIDTH=8, OUT_WIDTH=32)),
        ("finnflow_dwc", dict(IN_WIDTH=32, OUT_WIDTH=8)),
        ("finnflow_skid", dict(WIDTH=8)),
        ("finnflow_skid", dict(WIDTH=8, IN_REG=1)),
    ],
    ids=[
        "mvau_bipolar",
        "mvau_xnor",
        "thresholding",
        "label_select",
        "fifo",
        "dwc_up",
        "dwc_down",
        "skid",
        "skid_in_reg",
    ],
)
def test_yosys_elaborates(top, params, yosys_exe, tmp_path):
    _yosys(
        yosys_exe,
        f"{_read(tmp_path, params)}\n{_chparam(top, params)}\nhierarchy -check -top {top}\n"
        f"proc\nopt -fast\ncheck -assert\n",
        tmp_path,
    )


@pytest.mark.parametrize("n", [1, 4, 11])
def test_carry_simulation_form_is_the_carry4_chain(n, yosys_exe, tmp_path):
    """finnflow_carry as the simulators read it (one addition) equals, for every input, the
    chain of CARRY4 primitives synthesis gets (Yosys' models of the primitives): a SAT proof."""
    src = LIB_DIR / "finnflow_carry.sv"
    log = _yosys(
        yosys_exe,
        f"read_verilog -DVERILATOR -sv {src}\nchparam -set N {n} finnflow_carry\nproc\n"
        "rename finnflow_carry gold\ndesign -stash gold\n"
        "read_verilog -lib +/xilinx/cells_xtra.v\nread_verilog +/xilinx/cells_sim.v\n"
        f"read_verilog -sv {src}\nhierarchy -top finnflow_carry -chparam N {n}\nproc\nflatten\n"
        "rename finnflow_carry gate\ndesign -copy-from gold -as gold gold\n"
        "miter -equiv -flatten -make_assert gold gate miter\n"
        "sat -verify -prove-asserts -show-ports miter\n",
        tmp_path,
    )
    assert "SUCCESS!" in log
