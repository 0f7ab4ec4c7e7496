"""MVAU: bit-exact Verilator simulation against a numpy reference, plus throughput."""

from __future__ import annotations

import itertools
import subprocess
from dataclasses import dataclass

import numpy as np
import pytest
from onnx import helper
from qonnx.custom_op.registry import getCustomOp

from finnflow.hw import DOMAIN
from finnflow.rtl import library_sources
from finnflow.rtl.popcount import mvau_popcounts
from finnflow.sim.verilator import simulate
from finnflow.streams import pack, unpack


@dataclass(frozen=True)
class Cfg:
    name: str
    mw: int
    mh: int
    simd: int
    pe: int
    ibits: int
    isigned: int
    wbits: int
    wsigned: int
    wbipolar: int = 0
    xnor: int = 0
    n_thres: int = 0
    act_val: int = 0
    res_type: str = "lut"


CONFIGS = [
    Cfg("folded_i4s_w4s", 6, 4, 1, 1, 4, 1, 4, 1),
    Cfg("unfolded_i2u_w2s_thr", 8, 4, 8, 4, 2, 0, 2, 1, n_thres=3),
    Cfg("mid_i8s_w8s", 12, 8, 3, 2, 8, 1, 8, 1),
    Cfg("mid_i1u_w1u_thr", 8, 6, 2, 3, 1, 0, 1, 0, n_thres=1),
    Cfg("mid_i2s_w4u_thr_neg", 10, 6, 5, 2, 2, 1, 4, 0, n_thres=3, act_val=-2),
    Cfg("mid_i8u_w1s", 8, 4, 4, 1, 8, 0, 1, 1),
    Cfg("bipolar_i4u_thr", 16, 8, 4, 4, 4, 0, 1, 0, wbipolar=1, n_thres=15),
    Cfg("bipolar_i4s", 6, 6, 2, 3, 4, 1, 1, 0, wbipolar=1),
    Cfg("xnor_thr", 32, 16, 8, 4, 1, 0, 1, 0, xnor=1, n_thres=1),
    Cfg("xnor_acc_folded", 9, 3, 1, 1, 1, 0, 1, 0, xnor=1),
    Cfg("xnor_acc_pe4", 16, 8, 4, 4, 1, 0, 1, 0, xnor=1),
    Cfg("wide_i8s_w4s", 32, 16, 16, 8, 8, 1, 4, 1),
    # an odd lane count: a single-lane bit beside the two-lane leaves, in both bipolar planes
    Cfg("bipolar_simd37_i2s", 74, 4, 37, 2, 2, 1, 1, 0, wbipolar=1),
    # 128 lanes: the widest popcounts
    Cfg("xnor_simd128_thr", 256, 16, 128, 8, 1, 0, 1, 0, xnor=1, n_thres=1),
    Cfg("simd128_i2u_w2s", 256, 4, 128, 2, 2, 0, 2, 1),
    # DSP datapath: products packed into DSP slices (unsigned inputs), rows unused in the last
    # DSP, a lane count not a power of two, wide fields of one product per DSP
    Cfg("dsp_i4u_w4s_thr", 32, 12, 8, 6, 4, 0, 4, 1, n_thres=7, res_type="dsp"),
    Cfg("dsp_i2u_w2u_folded", 12, 8, 3, 4, 2, 0, 2, 0, res_type="dsp"),
    Cfg("dsp_i8u_w8s", 24, 4, 6, 2, 8, 0, 8, 1, res_type="dsp"),
    Cfg("dsp_bipolar_i4u_thr", 16, 8, 4, 8, 4, 0, 1, 0, wbipolar=1, n_thres=3, res_type="dsp"),
    Cfg("dsp_i1u_w3s_pe7", 10, 7, 5, 7, 1, 0, 3, 1, res_type="dsp"),
    # signed inputs: offset to unsigned, the thresholds absorbing it
    Cfg("dsp_i2s_w2s_thr", 24, 12, 8, 12, 2, 1, 2, 1, n_thres=3, res_type="dsp"),
    Cfg("dsp_bipolar_i4s_thr", 12, 6, 3, 2, 4, 1, 1, 0, wbipolar=1, n_thres=5, res_type="dsp"),
]


def _bits_for(lo: int, hi: int) -> int:
    """Signed two's-complement width holding [lo, hi]."""
    b = 1
    while not (-(1 << (b - 1)) <= lo and hi < (1 << (b - 1))):
        b += 1
    return b


def _rand_int(rng, bits, signed, shape):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return rng.integers(lo, hi + 1, size=shape)


def make_case(c: Cfg, n_vec: int, seed: int = 1):
    """Random weights/inputs/thresholds, the reference output and the RTL encodings."""
    rng = np.random.default_rng(seed)
    x = _rand_int(rng, c.ibits, c.isigned, (n_vec, c.mw))
    if c.xnor:
        wbits_ = rng.integers(0, 2, size=(c.mh, c.mw))
        acc = (x[:, None, :] == wbits_[None, :, :]).sum(-1)  # popcount of XNOR
        wenc = wbits_
        amax = c.mw
        amin = 0
    elif c.wbipolar:
        w = rng.choice([-1, 1], size=(c.mh, c.mw))
        acc = x @ w.T
        wenc = (w == 1).astype(int)
        xmax = max(abs(int(x.min())), abs(int(x.max())), (1 << c.ibits))
        amax, amin = c.mw * xmax, -c.mw * xmax
    else:
        w = _rand_int(rng, c.wbits, c.wsigned, (c.mh, c.mw))
        acc = x @ w.T
        wenc = w & ((1 << c.wbits) - 1)
        if c.res_type == "dsp" and c.wsigned:  # the DSP datapath's weights: sign bit inverted
            wenc = wenc ^ (1 << (c.wbits - 1))
        ext = [
            a * b for a in (-(1 << c.ibits), 1 << c.ibits) for b in (-(1 << c.wbits), 1 << c.wbits)
        ]
        amax, amin = c.mw * max(ext), c.mw * min(ext)
    abits = _bits_for(amin, amax + 1)
    if c.n_thres:
        # thresholds spread over the observed accumulator range -> non-trivial outputs; about
        # half of them (at least one per row) are accumulator values of their own row, so that
        # acc == T occurs and '>=' cannot pass for '>'
        lo, hi = int(acc.min()), int(acc.max()) + 1
        thr = rng.integers(lo, hi + 1, size=(c.mh, c.n_thres))
        tie = rng.random(thr.shape) < 0.5
        tie[:, 0] = True
        seen = acc[rng.integers(0, n_vec, size=thr.shape), np.arange(c.mh)[:, None]]
        thr = np.sort(np.where(tie, seen, thr), axis=1)
        y = c.act_val + (acc[:, :, None] >= thr[None, :, :]).sum(-1)
        y_strict = c.act_val + (acc[:, :, None] > thr[None, :, :]).sum(-1)
        assert np.any(y != y_strict), "test data must contain exact threshold ties"
        obits = _bits_for(min(c.act_val, 0), c.act_val + c.n_thres)
        if c.act_val >= 0:  # unsigned output needs no sign bit
            obits = max(1, (c.act_val + c.n_thres).bit_length())
        osigned = c.act_val < 0
    else:
        thr, y, obits, osigned = None, acc, abits, True
        if c.xnor:  # a popcount is non-negative: unsigned output, narrower than the accumulator
            obits, osigned = max(1, c.mw.bit_length()), False
    if c.res_type == "dsp" and c.isigned:
        # the DSP datapath accumulates (x + 2**(ibits-1)) . w: the thresholds carry the offset
        offset = (1 << (c.ibits - 1)) * w.sum(axis=1)
        thr = thr + offset[:, None]
        lo, hi = amin + min(0, int(offset.min())), amax + max(0, int(offset.max()))
        abits = _bits_for(min(lo, int(thr.min())), max(hi, int(thr.max())) + 1)
    return x, wenc, thr, acc, y, abits, obits, osigned


def write_mems(c: Cfg, wenc, thr, abits, d):
    nf, sf = c.mh // c.pe, c.mw // c.simd
    wb = 1 if (c.xnor or c.wbipolar) else c.wbits
    lines = []
    for a in range(nf):
        for s in range(sf):
            rows = [wenc[a * c.pe + p, s * c.simd : (s + 1) * c.simd] for p in range(c.pe)]
            if c.res_type == "dsp":  # lane by lane
                lanes, bits = [v for row in rows for v in row], wb
            else:  # each row as wb bit planes of SIMD lanes
                lanes = [(v >> j) & 1 for row in rows for j in range(wb) for v in row]
                bits = 1
            lines.append(f"{pack(lanes, bits):x}\n")
    wf = d / "weights.mem"
    wf.write_text("".join(lines))
    tf = d / "thresh.mem"
    if thr is not None:
        tl = []
        for a in range(nf):
            lanes = [thr[a * c.pe + p, t] for p in range(c.pe) for t in range(c.n_thres)]
            tl.append(f"{pack(lanes, abits, signed=True):x}\n")
        tf.write_text("".join(tl))
    return wf, tf if thr is not None else None


def _dot_params(c: Cfg) -> dict:
    """The dot product's parameters of a configuration (finnflow_mvau, finnflow_dotp[_dsp])."""
    return dict(
        SIMD=c.simd,
        PE=c.pe,
        IBITS=c.ibits,
        ISIGNED=c.isigned,
        WBITS=1 if (c.xnor or c.wbipolar) else c.wbits,
        WSIGNED=c.wsigned,
        WBIPOLAR=c.wbipolar,
    )


def mvau_setup(c: Cfg, sim_dir, build_rtl, n_vec):
    x, wenc, thr, acc, y, abits, obits, osigned = make_case(c, n_vec)
    d = sim_dir / "data" / f"mvau_{c.name}"
    d.mkdir(parents=True, exist_ok=True)
    wf, tf = write_mems(c, wenc, thr, abits, d)
    params = dict(
        MW=c.mw,
        MH=c.mh,
        **_dot_params(c),
        BINARY_XNOR=c.xnor,
        ABITS=abits,
        N_THRES=c.n_thres,
        OBITS=obits,
        ACT_VAL=c.act_val,
        WEIGHT_FILE=str(wf),
        RAM_STYLE="distributed",
        RES_TYPE=c.res_type,
    )
    if tf is not None:
        params["THRESH_FILE"] = str(tf)
    binary = build_rtl("finnflow_mvau", params)
    sf, nf = c.mw // c.simd, c.mh // c.pe
    words = [
        pack(v[s * c.simd : (s + 1) * c.simd], c.ibits, c.isigned) for v in x for s in range(sf)
    ]
    return binary, words, y, obits, osigned, nf, sf


def decode(out_words, c, nf, obits, osigned):
    lanes = [unpack(w, c.pe, obits, osigned) for w in out_words]
    return np.array(lanes).reshape(-1, nf * c.pe)


def _check(c: Cfg, sim_dir, build_rtl):
    """Bit-exact against numpy and one (nf, sf) step per cycle when free-running, bit-exact
    under random bubbles and back-pressure."""
    n_vec = 24
    binary, words, y, obits, osigned, nf, sf = mvau_setup(c, sim_dir, build_rtl, n_vec)
    assert np.any(y != 0) and len(np.unique(y)) > 1, "test data must be non-trivial"

    # free-running: bit-exact and one (nf, sf) step per cycle
    res = simulate(binary, words, n_vec * nf, drain=20)
    assert len(res.out_words) == n_vec * nf, "spurious output words"
    np.testing.assert_array_equal(decode(res.out_words, c, nf, obits, osigned), y)
    starts = np.array(res.out_cycles[::nf])
    intervals = np.diff(starts[2:])
    assert np.all(intervals == nf * sf), f"cycles/vector {intervals}, expected {nf * sf}"
    assert len(res.in_cycles) == len(words)

    # random bubbles and back-pressure
    for seed, bub, bp in ((1, 0.3, 0.5), (2, 0.0, 0.8), (3, 0.7, 0.0)):
        res = simulate(binary, words, n_vec * nf, bubble=bub, backpressure=bp, seed=seed)
        np.testing.assert_array_equal(decode(res.out_words, c, nf, obits, osigned), y)


@pytest.mark.parametrize("c", CONFIGS, ids=lambda c: c.name)
def test_mvau(c: Cfg, sim_dir, build_rtl):
    _check(c, sim_dir, build_rtl)


def _table_cfg(w: int, a: int, simd: int, pe: int, mw: int, mh: int) -> Cfg:
    """A row of bench/datapath_bench.py's table on a smaller matrix: unsigned inputs, signed
    weights, 1-bit weights bipolar, w1a1 XNOR."""
    xnor, bipolar = int(w == a == 1), int(w == 1 and a > 1)
    return Cfg(f"table_w{w}a{a}_s{simd}p{pe}", mw, mh, simd, pe, a, 0, w, int(w > 1), bipolar, xnor)


TABLE_BITS = (1, 2, 3, 4, 8)


@pytest.mark.slow
@pytest.mark.parametrize(
    "c",
    [_table_cfg(w, a, 16, 2, 32, 4) for w in TABLE_BITS for a in TABLE_BITS],
    ids=lambda c: c.name,
)
def test_mvau_datapath_table(c: Cfg, sim_dir, build_rtl):
    """Every precision pair of the datapath table at its SIMD 16 x PE 2: the same popcounts,
    term trees and pipelining as at MW 256 (SIMD 64 lanes and more: CONFIGS)."""
    _check(c, sim_dir, build_rtl)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_mvau_random_configs(seed, sim_dir, build_rtl):
    """Randomly drawn encodings/foldings, longer stress runs."""
    rng = np.random.default_rng(1000 + seed)
    mw, mh = int(rng.choice([4, 6, 12, 16])), int(rng.choice([2, 4, 6, 8]))
    simd = int(rng.choice([d for d in range(1, mw + 1) if mw % d == 0]))
    pe = int(rng.choice([d for d in range(1, mh + 1) if mh % d == 0]))
    kind = seed % 3  # 0 plain, 1 bipolar, 2 xnor
    ibits = 1 if kind == 2 else int(rng.choice([1, 2, 4, 8]))
    wbits = 1 if kind else int(rng.choice([1, 2, 4, 8]))
    n_thres = int(rng.choice([0, 1, 3, 7]))
    c = Cfg(
        f"rand{seed}",
        mw,
        mh,
        simd,
        pe,
        ibits,
        int(kind != 2 and rng.integers(2)),
        wbits,
        int(rng.integers(2)),
        wbipolar=int(kind == 1),
        xnor=int(kind == 2),
        n_thres=n_thres,
        act_val=int(rng.choice([0, -1])) if n_thres else 0,
    )
    n_vec = 64
    binary, words, y, obits, osigned, nf, sf = mvau_setup(c, sim_dir, build_rtl, n_vec)
    for s, bub, bp in ((seed, 0.5, 0.5), (seed + 100, 0.9, 0.2), (seed + 200, 0.1, 0.95)):
        res = simulate(binary, words, n_vec * nf, bubble=bub, backpressure=bp, seed=s)
        np.testing.assert_array_equal(decode(res.out_words, c, nf, obits, osigned), y)


def _op(c: Cfg):
    """The MVAU custom op of a configuration."""
    idt = "BINARY" if c.xnor else f"{'INT' if c.isigned else 'UINT'}{c.ibits}"
    if c.xnor or c.wbipolar:
        wdt = "BINARY" if c.xnor else "BIPOLAR"
    else:
        wdt = f"{'INT' if c.wsigned else 'UINT'}{c.wbits}"
    node = helper.make_node(
        "MVAU",
        ["x", "w"],
        ["y"],
        domain=DOMAIN,
        MW=c.mw,
        MH=c.mh,
        SIMD=c.simd,
        PE=c.pe,
        inputDataType=idt,
        weightDataType=wdt,
        outputDataType="INT32",
        accDataType="INT32",
        binaryXnorMode=c.xnor,
        noActivation=1,
        resType=c.res_type,
    )
    return getCustomOp(node)


def _dot_cost(c: Cfg) -> int:
    """Popcount inputs of a configuration's dot product: what elaborating it costs."""
    return _op(c).bit_planes() * c.simd * c.pe


def test_tree_pipe_of_the_model_is_the_rtls(tmp_path, iverilog_tool):
    """The resource model's adder-tree registers (``MVAU.dot_tree``) follow the TREE_PIPE that
    finnflow_dotp and finnflow_dotp_dsp elaborate. The rule reads the term width and the tree
    height: for each sum width 3 to 18 (both sides of both steps) the smallest precision pair
    at 1, 3, 7 or 15 lanes that has it, and the module tests' small configurations."""
    iverilog, vvp = iverilog_tool
    by_top = {}
    for w, a, simd in itertools.product(range(1, 9), range(1, 9), (1, 3, 7, 15)):
        c = _table_cfg(w, a, simd, 1, simd, 1)
        width, height, _ = _op(c).dot_tree()
        if width + height <= 18:
            by_top.setdefault(width + height, []).append(c)
    cases = [min(cs, key=_dot_cost) for cs in by_top.values()]
    cases += [c for c in CONFIGS if _dot_cost(c) <= 64]
    lines, popcounts = ["module tb;"], set()
    for i, c in enumerate(cases):
        params = _dot_params(c)
        if c.res_type == "dsp":
            module = "finnflow_dotp_dsp"
        else:
            module, params["BINARY_XNOR"] = "finnflow_dotp", c.xnor
            popcounts |= mvau_popcounts(params)
        text = ", ".join(f".{k}({v})" for k, v in params.items())
        lines.append(f"  {module} #({text}) u{i} ();")
    lines.append("  initial begin")
    lines += [f'    $display("%0d", u{i}.TREE_PIPE);' for i in range(len(cases))]
    lines += ["  end", "endmodule"]
    tb = tmp_path / "tb.sv"
    tb.write_text("\n".join(lines) + "\n")
    files = [tb, *library_sources(tmp_path, popcounts)]
    binary = tmp_path / "tb.out"
    cmd = [iverilog, "-g2012", "-o", str(binary), "-s", "tb", *map(str, files)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = subprocess.run([vvp, "-n", str(binary)], capture_output=True, text=True, timeout=120)
    rtl = [int(v) for v in run.stdout.split()]
    model = [_op(c).dot_tree()[2] for c in cases]
    assert len(rtl) == len(cases) and rtl == model
    assert set(model) == {1, 2, 3} and len(by_top) == 16  # every step of the rule
