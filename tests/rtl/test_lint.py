"""Verilator -Wall lint of every RTL library module over representative parameter sets, and
elaboration-time rejection of illegal parameter sets (Verilator, Yosys, Icarus)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from finnflow.rtl import LIB_DIR, library_sources
from finnflow.rtl.popcount import mvau_popcounts
from finnflow.sim.fifo_sizing import MONITOR
from finnflow.sim.verilator import SimulationError, build

SOURCES = sorted(LIB_DIR.glob("*.sv"))
MODULES = sorted(s.stem for s in SOURCES)
# finnflow_popcount is generated per design (finnflow.rtl.popcount): the sources of a case are
# the library and the popcount for the case's parameters, written here
GENERATED = Path(tempfile.gettempdir()) / "finnflow-lint-popcount"


def sources(params: dict) -> list[Path]:
    return library_sources(GENERATED, mvau_popcounts(params))


def _mvau(**params) -> dict:
    """MVAU parameters with memory files (a ROM without one is undriven)."""
    files = {"WEIGHT_FILE": "w.mem"}
    if params.get("N_THRES"):
        files["THRESH_FILE"] = "t.mem"
    return {**files, **params}


def _thr(**params) -> dict:
    return {"THRESH_FILE": "t.mem", **params}


_MVAU_BASE = dict(MW=8, MH=4, SIMD=2, PE=2)
LINT_CASES = {
    "finnflow_mvau": {
        "defaults": _mvau(),
        "i4s_w4s_acc_folded": _mvau(MW=6, MH=4, SIMD=1, PE=1, ABITS=12, OBITS=12),
        "i2u_w2s_thr3_unfolded": _mvau(
            MW=8, MH=4, SIMD=8, PE=4, IBITS=2, ISIGNED=0, WBITS=2, ABITS=7, N_THRES=3, OBITS=2
        ),
        "i1u_w1u_thr1": _mvau(
            MW=8,
            MH=6,
            SIMD=2,
            PE=3,
            IBITS=1,
            ISIGNED=0,
            WBITS=1,
            WSIGNED=0,
            ABITS=5,
            N_THRES=1,
            OBITS=1,
        ),
        "i2s_w4u_thr3_negact": _mvau(
            MW=10,
            MH=6,
            SIMD=5,
            PE=2,
            IBITS=2,
            WBITS=4,
            WSIGNED=0,
            ABITS=9,
            N_THRES=3,
            OBITS=2,
            ACT_VAL=-2,
        ),
        "i8u_w1s_acc": _mvau(**_MVAU_BASE, IBITS=8, ISIGNED=0, WBITS=1, ABITS=12, OBITS=12),
        "dsp_i4u_w4s_thr3": _mvau(
            **_MVAU_BASE, ISIGNED=0, ABITS=10, N_THRES=3, OBITS=2, RES_TYPE="dsp"
        ),
        "dsp_i2u_w2u_acc": _mvau(
            **_MVAU_BASE, IBITS=2, ISIGNED=0, WBITS=2, WSIGNED=0, ABITS=7, OBITS=7, RES_TYPE="dsp"
        ),
        "i8s_w8s_acc_narrow": _mvau(**_MVAU_BASE, IBITS=8, WBITS=8, ABITS=6, OBITS=6),
        "i4s_w4s_acc_exact": _mvau(**_MVAU_BASE, ABITS=10, OBITS=10),
        "bipolar_i4u_thr15": _mvau(
            MW=16,
            MH=8,
            SIMD=4,
            PE=4,
            IBITS=4,
            ISIGNED=0,
            WBITS=1,
            WSIGNED=0,
            WBIPOLAR=1,
            ABITS=9,
            N_THRES=15,
            OBITS=4,
        ),
        "bipolar_i4s_acc": _mvau(**_MVAU_BASE, WBITS=1, WSIGNED=0, WBIPOLAR=1, ABITS=8, OBITS=8),
        "xnor_thr1": _mvau(
            MW=32,
            MH=16,
            SIMD=8,
            PE=4,
            IBITS=1,
            ISIGNED=0,
            WBITS=1,
            WSIGNED=0,
            BINARY_XNOR=1,
            ABITS=7,
            N_THRES=1,
            OBITS=1,
        ),
        "xnor_acc_simd1": _mvau(
            MW=9, MH=3, IBITS=1, ISIGNED=0, WBITS=1, WSIGNED=0, BINARY_XNOR=1, ABITS=5, OBITS=5
        ),
        "xnor_acc_narrow_out": _mvau(
            MW=16, MH=8, SIMD=4, PE=4, IBITS=1, WBITS=1, BINARY_XNOR=1, ABITS=6, OBITS=5
        ),
        "thr_wide_out": _mvau(**_MVAU_BASE, N_THRES=3, ABITS=12, OBITS=40, ACT_VAL=-1),
        "single_neuron": _mvau(MW=1, MH=1, ABITS=10, OBITS=10),
        "block_ram": _mvau(**_MVAU_BASE, N_THRES=2, ABITS=10, OBITS=2, RAM_STYLE="block"),
    },
    "finnflow_thresholding": {
        "defaults": _thr(),
        "c8pe2_s4_thr3": _thr(C=8, PE=2, IBITS=4, N_THRES=3, OBITS=2),
        "c6pe6_u8_thr15": _thr(C=6, PE=6, IBITS=8, ISIGNED=0, N_THRES=15, OBITS=4),
        "c4pe1_s8_bipolar": _thr(C=4, PE=1, IBITS=8, N_THRES=1, OBITS=1, ACT_VAL=-1),
        "c12pe3_u2_negact": _thr(C=12, PE=3, IBITS=2, ISIGNED=0, N_THRES=2, OBITS=2, ACT_VAL=-1),
        "i1u_wide_thresholds": _thr(
            C=4, PE=2, IBITS=1, ISIGNED=0, N_THRES=1, OBITS=1, TBITS=3, TSIGNED=1
        ),
        "block_ram": _thr(C=16, PE=4, RAM_STYLE="block"),
    },
    "finnflow_thresh_act": {
        "defaults": {},
        "pe3_u1": dict(PE=3, VBITS=1, VSIGNED=0, N_THRES=1, OBITS=1),
        "pe2_s12_thr7_narrow_t": dict(PE=2, VBITS=12, N_THRES=7, OBITS=3, TBITS=5),
        "signed_out": dict(PE=4, VBITS=6, N_THRES=3, OBITS=2, ACT_VAL=-2),
    },
    "finnflow_label_select": {
        "defaults": {},
        "n10pe5_s2": dict(NUM_LABELS=10, PE=5, IBITS=2),
        "n12pe4_u3": dict(NUM_LABELS=12, PE=4, IBITS=3, ISIGNED=0, OBITS=4),
        "n8pe8_s16": dict(NUM_LABELS=8, PE=8, IBITS=16, OBITS=3),
        "n2pe1_u1": dict(NUM_LABELS=2, PE=1, IBITS=1, ISIGNED=0),
        "n1": dict(NUM_LABELS=1, PE=1),
        "wide_out": dict(NUM_LABELS=16, PE=2, OBITS=8),
    },
    "finnflow_fifo": {
        "defaults": {},
        "w1_d2": dict(WIDTH=1, DEPTH=2),
        "w13_d3": dict(WIDTH=13, DEPTH=3),
        "w72_d16_block": dict(WIDTH=72, DEPTH=16, RAM_STYLE="block"),
    },
    "finnflow_dwc": {
        "up_8_32": dict(IN_WIDTH=8, OUT_WIDTH=32),
        "up_1_2": dict(IN_WIDTH=1, OUT_WIDTH=2),
        "up_24_72": dict(IN_WIDTH=24, OUT_WIDTH=72),
        "down_32_8": dict(IN_WIDTH=32, OUT_WIDTH=8),
        "down_3_1": dict(IN_WIDTH=3, OUT_WIDTH=1),
        "pass_16": dict(IN_WIDTH=16, OUT_WIDTH=16),
        "pass_1": dict(IN_WIDTH=1, OUT_WIDTH=1),
    },
    "finnflow_dotp": {
        "defaults": {},
        "simd64_pe8_i2s_w2s": dict(SIMD=64, PE=8, IBITS=2, WBITS=2, OBITS=10),
        "simd16_i1u_w2u_wide_out": dict(SIMD=16, IBITS=1, ISIGNED=0, WBITS=2, WSIGNED=0, OBITS=20),
        "xnor_simd7": dict(SIMD=7, PE=2, IBITS=1, WBITS=1, BINARY_XNOR=1, OBITS=4, TAGW=5),
        "bipolar_i3u": dict(SIMD=5, IBITS=3, ISIGNED=0, WBITS=1, WBIPOLAR=1, OBITS=7),
        "bipolar_i8s_narrow": dict(SIMD=9, IBITS=8, WBITS=1, WBIPOLAR=1, OBITS=6, PIPE=1),
        "i8s_w8s_nopipe": dict(SIMD=3, IBITS=8, WBITS=8, OBITS=19, PIPE=0),
    },
    "finnflow_dotp_dsp": {
        "defaults": {},
        "i3s_w2s": dict(SIMD=6, PE=4, IBITS=3, ISIGNED=1, WBITS=2, OBITS=9),
        "simd64_pe8_i2u_w2s": dict(SIMD=64, PE=8, IBITS=2, WBITS=2, OBITS=10),
        "i8u_w8u_wide_out": dict(SIMD=3, PE=3, IBITS=8, WBITS=8, WSIGNED=0, OBITS=24, PIPE=1),
        "bipolar_pe7": dict(SIMD=5, PE=7, IBITS=3, WBITS=1, WBIPOLAR=1, OBITS=7, TAGW=4),
        "i1u_w1u_nopipe": dict(SIMD=2, IBITS=1, WBITS=1, WSIGNED=0, OBITS=3, PIPE=0),
    },
    "finnflow_dsp_mul": {"defaults": {}, "a20_b4": dict(AW=20, BW=4)},
    "finnflow_lut6_2": {"defaults": {}},
    "finnflow_carry": {"defaults": {}, "one": dict(N=1), "three_blocks": dict(N=11)},
    "finnflow_delay": {"defaults": {}, "wire": dict(W=3, LATENCY=0), "w5_l4": dict(W=5, LATENCY=4)},
    "finnflow_addtree": {"term": {}},
    "finnflow_param_error": {"defaults": {}},
    "finnflow_skid": {
        "defaults": {},
        "w1": dict(WIDTH=1),
        "w70_in_reg": dict(WIDTH=70, IN_REG=1),
        "w9_spaced": dict(WIDTH=9, IN_REG=1, SPACED=1),
    },
    "finnflow_swg": {
        "defaults": {},
        "cnv_simd2_block": dict(IFM_H=8, IFM_W=8, C=4, SIMD=2, BITS=2, RAM_STYLE="block"),
        "k1_pixel": dict(IFM_H=1, IFM_W=1, K_H=1, K_W=1, BITS=1),
        "k2_s3_gaps": dict(IFM_H=8, IFM_W=11, C=2, K_H=2, K_W=2, S_H=3, S_W=3, BITS=4),
        "k2x3_s1x2": dict(IFM_H=6, IFM_W=9, C=3, K_H=2, K_W=3, S_W=2),
        "whole_image": dict(IFM_H=3, IFM_W=3, C=8, SIMD=8),
    },
    "finnflow_swg_parallel": {
        "defaults": {},
        "cnv_first_u8": dict(IFM_H=32, IFM_W=32, C=3, BITS=8),
        "k3_s2_block": dict(IFM_H=9, IFM_W=7, C=2, S_H=2, S_W=2, BITS=4, RAM_STYLE="block"),
        "k2_s3_gaps": dict(IFM_H=8, IFM_W=11, C=2, K_H=2, K_W=2, S_H=3, S_W=3, BITS=4),
        "k2x3_s1x2": dict(IFM_H=6, IFM_W=9, C=3, K_H=2, K_W=3, S_W=2),
        "k1_pixel": dict(IFM_H=1, IFM_W=1, K_H=1, K_W=1, BITS=1),
        "k1_s2": dict(IFM_H=5, IFM_W=6, C=4, K_H=1, K_W=1, S_H=2, S_W=2),
        "one_column": dict(IFM_H=7, IFM_W=1, C=2, K_W=1, S_H=2),
        "one_row_kernel": dict(IFM_H=4, IFM_W=8, C=5, K_H=1, K_W=3),
    },
    "finnflow_maxpool": {
        "defaults": {},
        "odd_pe3_u1": dict(IFM_H=5, IFM_W=7, C=6, PE=3, K_W=3, BITS=1, SIGNED=0),
        "one_window": dict(IFM_H=2, IFM_W=2),
        "k1": dict(K_H=1, K_W=1, C=4, PE=4),
    },
    "finnflow_fmpadding": {
        "defaults": {},
        "asym_simd2": dict(C=4, SIMD=2, PAD_T=0, PAD_L=2, PAD_B=3, PAD_R=0),
        "none": dict(PAD_T=0, PAD_L=0, PAD_B=0, PAD_R=0),
        "pixel_u1": dict(IFM_H=1, IFM_W=1, BITS=1),
    },
}

# Recursive modules: Verilator 5.006 does not elaborate a recursive module as the top with -G
# overrides, so the adder trees are linted inside finnflow_dotp's cases (4 and 64 planes:
# adder-tree heights 1 to 5; PIPE 0, 1 and 2).

# generated popcounts: (N, OP) linted as the top (OP 0: x & w, 1: XNOR, 2: !w)
POPCOUNT_CASES = [(1, 0), (2, 1), (3, 2), (5, 1), (7, 0), (16, 1), (64, 1), (130, 0), (37, 2)]

# (module, parameters, words the error message must name)
BAD_PARAMS = [
    ("finnflow_mvau", dict(MW=6, SIMD=4), ["MW", "SIMD"]),
    ("finnflow_mvau", dict(MH=6, PE=4), ["MH", "PE"]),
    ("finnflow_mvau", dict(IBITS=0), ["IBITS"]),
    ("finnflow_mvau", dict(N_THRES=-1), ["N_THRES"]),
    ("finnflow_mvau", dict(ABITS=12, OBITS=13), ["OBITS", "ABITS"]),
    ("finnflow_mvau", dict(BINARY_XNOR=1, WBITS=1, IBITS=2), ["IBITS", "BINARY_XNOR"]),
    ("finnflow_mvau", dict(WBIPOLAR=1, WBITS=2), ["WBITS", "WBIPOLAR"]),
    ("finnflow_mvau", dict(N_THRES=3, ABITS=8, OBITS=1), ["ACT_VAL", "OBITS"]),
    ("finnflow_mvau", dict(RES_TYPE="dsp"), ["RES_TYPE", "N_THRES"]),
    (
        "finnflow_mvau",
        dict(RES_TYPE="dsp", ISIGNED=0, BINARY_XNOR=1, IBITS=1, WBITS=1),
        ["BINARY_XNOR"],
    ),
    ("finnflow_mvau", dict(RES_TYPE="uram", ISIGNED=0), ["RES_TYPE"]),
    ("finnflow_dotp_dsp", dict(IBITS=18), ["IBITS"]),
    ("finnflow_thresholding", dict(C=6, PE=4), ["C", "PE"]),
    ("finnflow_thresholding", dict(N_THRES=0), ["N_THRES"]),
    ("finnflow_thresholding", dict(N_THRES=2, OBITS=1, ACT_VAL=-1), ["ACT_VAL", "OBITS"]),
    ("finnflow_label_select", dict(NUM_LABELS=10, PE=4), ["NUM_LABELS", "PE"]),
    ("finnflow_label_select", dict(NUM_LABELS=10, OBITS=3), ["OBITS", "NUM_LABELS"]),
    ("finnflow_fifo", dict(DEPTH=1), ["DEPTH"]),
    ("finnflow_fifo", dict(WIDTH=0), ["WIDTH"]),
    ("finnflow_dwc", dict(IN_WIDTH=24, OUT_WIDTH=32), ["IN_WIDTH", "OUT_WIDTH"]),
    ("finnflow_skid", dict(IN_REG=2), ["IN_REG"]),
    ("finnflow_skid", dict(SPACED=1), ["SPACED", "IN_REG"]),
    ("finnflow_swg", dict(C=6, SIMD=4), ["C", "SIMD"]),
    ("finnflow_swg", dict(IFM_W=2, K_W=3), ["K_W", "IFM_W"]),
    ("finnflow_swg", dict(S_H=0), ["S_H"]),
    ("finnflow_swg", dict(K_H=3, BUF_ROWS=2), ["BUF_ROWS", "K_H"]),
    ("finnflow_swg_parallel", dict(C=0), ["C"]),
    ("finnflow_swg_parallel", dict(IFM_W=2, K_W=3), ["K_W", "IFM_W"]),
    ("finnflow_swg_parallel", dict(IFM_H=2, K_H=3), ["K_H", "IFM_H"]),
    ("finnflow_swg_parallel", dict(S_W=0), ["S_W"]),
    ("finnflow_swg_parallel", dict(BITS=0), ["BITS"]),
    ("finnflow_maxpool", dict(C=6, PE=4), ["C", "PE"]),
    ("finnflow_maxpool", dict(IFM_H=1), ["K_H", "IFM_H"]),
    ("finnflow_fmpadding", dict(C=6, SIMD=4), ["C", "SIMD"]),
    ("finnflow_fmpadding", dict(PAD_L=-1), ["PAD_L"]),
]
_BAD_IDS = [f"{top[9:]}-{'-'.join(f'{k}{v}' for k, v in p.items())}" for top, p, _ in BAD_PARAMS]


def _gparam(name: str, value) -> str:
    return f'-G{name}="{value}"' if isinstance(value, str) else f"-G{name}={int(value)}"


def lint(
    verilator_tool, top: str, params: dict, defines: tuple[str, ...] = (), popcounts=None
) -> subprocess.CompletedProcess:
    """``verilator --lint-only -Wall`` of library module ``top`` (all library files and the
    popcount for ``popcounts``, by default for the MVAU or dot-product parameters ``params``)."""
    exe, extra = verilator_tool
    cmd = [exe, "--lint-only", "-Wall", "--top-module", top, *[f"-D{d}" for d in defines]]
    files = library_sources(GENERATED, popcounts) if popcounts is not None else sources(params)
    cmd += [_gparam(k, v) for k, v in params.items()] + [str(s) for s in files]
    env = {**os.environ, **extra}
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)


def test_every_module_is_covered():
    assert MODULES == sorted(LINT_CASES), "one .sv file per module, each with lint cases"
    for src in SOURCES:
        text = src.read_text()
        assert f"module {src.stem} " in text
        assert "lint_off WIDTH" not in text, f"{src.name}: no WIDTH waivers"


@pytest.mark.parametrize(
    "top,params",
    [(top, p) for top, cases in LINT_CASES.items() for p in cases.values()],
    ids=[f"{top[9:]}-{name}" for top, cases in LINT_CASES.items() for name in cases],
)
def test_lint_clean(top, params, verilator_tool):
    proc = lint(verilator_tool, top, params)
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and out == "", out


@pytest.mark.parametrize("n,op", POPCOUNT_CASES, ids=[f"n{n}-op{op}" for n, op in POPCOUNT_CASES])
def test_generated_popcount_lints_clean(n, op, verilator_tool):
    proc = lint(verilator_tool, "finnflow_popcount", dict(N=n, OP=op, TAGW=3), popcounts=[(n, op)])
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and out == "", out


@pytest.mark.parametrize("params", LINT_CASES["finnflow_fifo"].values())
def test_fifo_monitor_lint_clean(params, verilator_tool):
    """The FIFO with its sizing monitor (``FINNFLOW_FIFO_MONITOR``) lints clean too."""
    proc = lint(verilator_tool, "finnflow_fifo", params, (MONITOR,))
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0 and out == "", out


@pytest.mark.parametrize("top,params,words", BAD_PARAMS, ids=_BAD_IDS)
def test_bad_params_fail_lint(top, params, words, verilator_tool):
    proc = lint(verilator_tool, top, params)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, f"{top} {params} elaborated without error"
    errors = [line for line in out.splitlines() if "USERERROR" in line]
    assert errors, out
    for word in words:
        assert any(word in line for line in errors), (word, out)


def test_bad_params_fail_verilator_build(sim_dir):
    with pytest.raises(SimulationError, match="MW must be a multiple of SIMD"):
        build("finnflow_mvau", sources(dict(SIMD=4)), dict(MW=6, SIMD=4), sim_dir / "bad")


def test_bad_params_fail_yosys(yosys_exe, tmp_path):
    script = tmp_path / "bad.ys"
    script.write_text(
        f"read_verilog -defer -sv {' '.join(str(s) for s in sources(dict(SIMD=4)))}\n"
        "chparam -set MW 6 -set SIMD 4 finnflow_mvau\n"
        "hierarchy -check -top finnflow_mvau\n"
    )
    proc = subprocess.run(
        [yosys_exe, "-q", "-s", str(script)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "MW must be a multiple of SIMD" in proc.stdout + proc.stderr


@pytest.mark.parametrize("simd,ok", [(2, True), (4, False)])
def test_params_icarus(simd, ok, tmp_path, iverilog_tool):
    """Icarus 11 (no elaboration-time $error) compiles and stops at time 0."""
    iverilog, vvp = iverilog_tool
    top, out = "finnflow_mvau", tmp_path / "a.out"
    cmd = [iverilog, "-g2012", "-o", str(out), "-s", top, f"-P{top}.MW=6", f"-P{top}.SIMD={simd}"]
    files = sources(dict(SIMD=simd))
    proc = subprocess.run(cmd + [str(s) for s in files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = subprocess.run([vvp, "-n", str(out)], capture_output=True, text=True, timeout=60)
    log = run.stdout + run.stderr
    if ok:
        assert run.returncode == 0 and "FATAL" not in log, log
    else:
        assert run.returncode != 0 and "MW must be a multiple of SIMD" in log, log
