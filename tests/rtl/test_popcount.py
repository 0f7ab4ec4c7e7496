"""Generated popcount netlists (finnflow.rtl.popcount): every count exact, evaluated cell by cell
on random bits and on the extremes (every lane set, none set), for every lane count up to 80 and
wider ones, and proven (``prove``), a proof that fails on wrong netlists; the behavioral model
that stitched designs simulate is the netlist cycle for cycle (Icarus). The Verilog written from
the same cells is checked by the MVAU simulations (tests/rtl/test_mvau.py) and lint."""

import subprocess

import numpy as np
import pytest

from finnflow.rtl.generate import library_sources
from finnflow.rtl.popcount import (
    MODEL_DEFINE,
    OPS,
    _op_bit,
    popcount_module,
    popcount_netlist,
    prove,
)

LANES = [*range(1, 81), 96, 128, 130, 200, 256, 511]


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_count_is_exact(op):
    rng = np.random.default_rng(op)
    for n in LANES:
        net = popcount_netlist(n, op)
        x, w = rng.integers(0, 2, (256, n)), rng.integers(0, 2, (256, n))
        x[0], w[0] = 1, int(op != 2)  # every lane set: x & w, XNOR and !w all 1
        x[1], w[1] = 0, int(op != 0)  # none set: x & w with x = 0, XNOR with x != w, !w with w = 1
        want = _op_bit(op, x, w).sum(axis=1)
        assert want[0] == n and want[1] == 0
        np.testing.assert_array_equal(net.evaluate(x, w), want, err_msg=f"{n} lanes, op {op}")


def test_cost_of_a_64_lane_xnor_popcount():
    """78 LUT sites (the behavioral tree of full adders took 110 LUTs in Yosys 0.23); the output
    is registered, with one pipeline level per two compression stages."""
    net = popcount_netlist(64, 1)
    assert net.luts == 78
    assert net.registers == 3


def test_unknown_pair_is_an_elaboration_error():
    text = popcount_module({(64, 1)})
    assert "N == 64 && OP == 1" in text and "N == 1 && OP == 0" in text
    assert "no netlist for this N and OP" in text
    with pytest.raises(ValueError, match="op 3"):
        popcount_netlist(4, 3)


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_netlist_is_proven(op):
    for n in LANES:
        prove(popcount_netlist(n, op))


def _replace(net, old, new):
    """``net`` with cell ``old`` replaced by ``new`` (in its cells and its step)."""
    net.cells = [new if c is old else c for c in net.cells]
    for step in net.steps:
        step.cells = [new if c is old else c for c in step.cells]
    return net


def test_the_proof_rejects_wrong_netlists():
    """A flipped LUT bit in a leaf, a counter or the final adder, a register level skipped in
    one column, two count bits swapped: each one a netlist that miscounts or mistimes."""
    wrong = []
    for kind, index in (("leaf", 37), ("counter", 37), ("ternary", 33)):  # reachable entries
        net = popcount_netlist(64, 1)
        step = next(s for s in net.steps if s.kind == kind)
        lut = step.cells[0]
        wrong.append(_replace(net, lut, (*lut[:2], lut[2] ^ (1 << index), *lut[3:])))
    net = popcount_netlist(64, 1)
    reg = next(c for c in net.cells if c[0] == "reg")
    wrong.append(
        _replace(net, reg, ("reg", reg[1], next(c for c in net.cells if c[0] == "lut")[3]))
    )
    net = popcount_netlist(64, 1)
    count = net.cells[-1]
    bits = list(count[1])
    bits[0], bits[1] = bits[1], bits[0]
    wrong.append(_replace(net, count, ("count", bits)))
    for net in wrong:
        with pytest.raises(ValueError, match="popcount of 64 lanes, op 1"):
            prove(net)
    rng = np.random.default_rng(0)
    x, w = rng.integers(0, 2, (4096, 64)), rng.integers(0, 2, (4096, 64))
    for net in wrong[:3] + wrong[4:]:  # the skipped register counts right, a cycle early
        assert not np.array_equal(net.evaluate(x, w), (x == w).sum(axis=1))


@pytest.mark.parametrize("n, op", [(1, 0), (2, 1), (5, 2), (17, 0), (64, 1), (130, 2)])
def test_model_is_the_netlist_cycle_for_cycle(n, op, tmp_path, iverilog_tool):
    """Random lanes, tags and enables: the behavioral model's count and tag equal the
    netlist's in every cycle once the registers hold data."""
    iverilog, vvp = iverilog_tool
    tb = tmp_path / "tb.sv"
    tb.write_text(
        f"""module tb;
  reg clk = 0, rst_n = 0, en = 0;
  reg [{n - 1}:0] x, w;
  reg [7:0] tag;
  wire [7:0] tag_out;
  wire [$clog2({n}+1)-1:0] c;
  integer i, k, seed = 7;
  finnflow_popcount #(.N({n}), .OP({op}), .TAGW(8)) dut (
      .ap_clk(clk), .ap_rst_n(rst_n), .en(en), .x(x), .w(w), .tag_in(tag), .tag_out(tag_out),
      .c(c));
  initial begin
    k = $urandom(seed);
    for (i = 0; i < 600; i = i + 1) begin
      for (k = 0; k < {n}; k = k + 1) begin
        x[k] = $urandom % 2;
        w[k] = ($urandom % 4) != 0;
      end
      tag = $urandom;
      en = ($urandom % 4) != 0;
      rst_n = i > 2;
      #1 clk = 1;
      #1 clk = 0;
      if (i >= 40) $display("%0d %0d", c, tag_out);
    end
  end
endmodule
"""
    )
    runs = []
    for defines in ((), (f"-D{MODEL_DEFINE}",)):
        binary = tmp_path / f"tb{len(runs)}.out"
        files = [tb, *library_sources(tmp_path, {(n, op)})]
        cmd = [iverilog, "-g2012", *defines, "-o", str(binary), "-s", "tb", *map(str, files)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        run = subprocess.run([vvp, "-n", str(binary)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0 and "ERROR" not in run.stdout, run.stdout
        runs.append(run.stdout.split("\n"))
    netlist, model = runs
    assert len(netlist) > 500 and netlist == model
    counts = {int(line.split()[0]) for line in netlist if line}
    assert len(counts) > 2 or n <= 2
