"""Thresholding, label select, FIFO, DWC and skid buffer: Verilator vs numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from finnflow.sim.verilator import simulate
from finnflow.streams import pack, unpack

HANDSHAKE = ((1, 0.3, 0.5), (2, 0.0, 0.8), (3, 0.7, 0.0))  # (seed, bubble, back-pressure)


def _rand(rng, bits, signed, shape):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    return rng.integers(lo, hi + 1, size=shape)


def _check_all(binary, words, n_out, expect, decode=lambda w: w):
    """Free-running and handshake-stressed runs must all produce ``expect``."""
    res = simulate(binary, words, n_out, drain=20)
    assert len(res.out_words) == n_out, "spurious output words"
    assert [decode(w) for w in res.out_words] == expect
    for seed, bub, bp in HANDSHAKE:
        r = simulate(binary, words, n_out, bubble=bub, backpressure=bp, seed=seed)
        assert [decode(w) for w in r.out_words] == expect, (seed, bub, bp)
    return res


def _steady_interval(cycles, skip=2):
    d = np.diff(np.asarray(cycles)[skip:])
    return set(d.tolist())


# ----------------------------------------------------------------------------- thresholding
@pytest.mark.parametrize(
    "C,PE,IBITS,ISIGNED,N,ACT",
    [(8, 2, 4, 1, 3, 0), (6, 6, 8, 0, 15, 0), (4, 1, 8, 1, 1, -1), (12, 3, 2, 0, 2, -1)],
    ids=["c8pe2_s4", "c6pe6_u8", "c4pe1_s8_bip", "c12pe3_u2_neg"],
)
def test_thresholding(C, PE, IBITS, ISIGNED, N, ACT, sim_dir, build_rtl):
    rng = np.random.default_rng(C * 100 + PE)
    n_vec = 16
    x = _rand(rng, IBITS, ISIGNED, (n_vec, C))
    # about half the thresholds (at least one per channel) are input values of their channel,
    # so that x == T occurs and '>=' cannot pass for '>'
    thr = _rand(rng, IBITS, ISIGNED, (C, N))
    tie = rng.random(thr.shape) < 0.5
    tie[:, 0] = True
    seen = x[rng.integers(0, n_vec, size=thr.shape), np.arange(C)[:, None]]
    thr = np.sort(np.where(tie, seen, thr), axis=1)
    y = ACT + (x[:, :, None] >= thr[None]).sum(-1)
    assert np.any(y != ACT + (x[:, :, None] > thr[None]).sum(-1)), "no exact threshold ties"
    osigned = ACT < 0
    obits = max((ACT + N).bit_length() + osigned, (-ACT - 1).bit_length() + 1, 1)
    assert len(np.unique(y)) > 1
    d = sim_dir / "data" / f"thr_{C}_{PE}_{IBITS}_{ISIGNED}_{N}_{ACT}"
    d.mkdir(parents=True, exist_ok=True)
    tf = d / "thresh.mem"
    cf = C // PE
    tf.write_text(
        "".join(
            f"{pack([thr[a * PE + p, t] for p in range(PE) for t in range(N)], IBITS, ISIGNED):x}\n"
            for a in range(cf)
        )
    )
    params = dict(C=C, PE=PE, IBITS=IBITS, ISIGNED=ISIGNED, N_THRES=N, OBITS=obits, ACT_VAL=ACT)
    binary = build_rtl("finnflow_thresholding", {**params, "THRESH_FILE": str(tf)})
    words = [pack(v[a * PE : (a + 1) * PE], IBITS, ISIGNED) for v in x for a in range(cf)]
    expect = [list(v[a * PE : (a + 1) * PE]) for v in y for a in range(cf)]
    res = _check_all(binary, words, len(words), expect, lambda w: unpack(w, PE, obits, osigned))
    assert _steady_interval(res.out_cycles) == {1}


# ----------------------------------------------------------------------------- label select
@pytest.mark.parametrize(
    "N,PE,IBITS,ISIGNED",
    [(10, 1, 8, 1), (12, 4, 3, 0), (8, 8, 16, 1), (10, 5, 2, 1)],
    ids=["n10pe1_s8", "n12pe4_u3_ties", "n8pe8_s16", "n10pe5_s2_ties"],
)
def test_label_select(N, PE, IBITS, ISIGNED, sim_dir, build_rtl):
    rng = np.random.default_rng(N * 10 + PE)
    n_vec = 40
    x = _rand(rng, IBITS, ISIGNED, (n_vec, N))
    expect = [int(i) for i in np.argmax(x, axis=1)]
    obits = max(1, (N - 1).bit_length())
    binary = build_rtl(
        "finnflow_label_select",
        dict(NUM_LABELS=N, PE=PE, IBITS=IBITS, ISIGNED=ISIGNED, OBITS=obits),
    )
    nw = N // PE
    words = [pack(v[a * PE : (a + 1) * PE], IBITS, ISIGNED) for v in x for a in range(nw)]
    res = _check_all(binary, words, n_vec, expect)
    assert _steady_interval(res.out_cycles) == {nw}


# ----------------------------------------------------------------------------- fifo
@pytest.mark.parametrize("WIDTH,DEPTH", [(8, 2), (13, 3), (72, 16)])
def test_fifo(WIDTH, DEPTH, build_rtl):
    rng = np.random.default_rng(WIDTH)
    words = [int.from_bytes(rng.bytes(16), "little") % (1 << WIDTH) for _ in range(300)]
    binary = build_rtl("finnflow_fifo", dict(WIDTH=WIDTH, DEPTH=DEPTH, RAM_STYLE="distributed"))
    res = _check_all(binary, words, len(words), words)
    assert _steady_interval(res.out_cycles) == {1}
    # capacity: with the output stalled for 50 cycles, at least DEPTH words are accepted
    r = simulate(binary, words[:40], 40, ready_delay=50)
    assert r.out_words == words[:40]
    assert DEPTH <= sum(c < 50 for c in r.in_cycles) <= DEPTH + 1


# ----------------------------------------------------------------------------- dwc
@pytest.mark.parametrize(
    "IW,OW",
    [(8, 32), (32, 8), (16, 16), (24, 72), (128, 32), (32, 128), (40, 4), (48, 16), (16, 8)],
)
def test_dwc(IW, OW, build_rtl):
    rng = np.random.default_rng(IW + 7 * OW)
    n_bits = 48 * max(IW, OW)
    bits = rng.integers(0, 2, size=n_bits)

    def split(width):
        return [pack(bits[i : i + width], 1) for i in range(0, n_bits, width)]

    words, expect = split(IW), split(OW)
    binary = build_rtl("finnflow_dwc", dict(IN_WIDTH=IW, OUT_WIDTH=OW))
    res = _check_all(binary, words, len(expect), expect)
    # the narrow side runs at one word per cycle
    side = res.in_cycles if IW < OW else res.out_cycles
    assert _steady_interval(side) == {1}


# ----------------------------------------------------------------------------- skid
@pytest.mark.parametrize("WIDTH,IN_REG", [(1, 0), (8, 0), (70, 0), (8, 1)])
def test_skid(WIDTH, IN_REG, build_rtl):
    rng = np.random.default_rng(WIDTH)
    words = [int.from_bytes(rng.bytes(16), "little") % (1 << WIDTH) for _ in range(200)]
    binary = build_rtl("finnflow_skid", dict(WIDTH=WIDTH, IN_REG=IN_REG))
    res = _check_all(binary, words, len(words), words)
    assert _steady_interval(res.out_cycles) == {1}
    assert res.out_cycles[0] - res.in_cycles[0] == 1 + IN_REG  # latency
