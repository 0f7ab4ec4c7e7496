"""Popcount netlists for ``finnflow_dotp``: the number of lanes k of N whose bit op(x[k], w[k])
is set, as a bit-heap compressor sized for 6-input LUTs and carry chains.

A dot product's cost is its popcounts (``finnflow_dotp`` reduces every product to bit-plane
popcounts), so they are built as a synthesis tool would not find them on its own:

- **Leaves** count two lanes in one LUT site (``finnflow_lut6_2``): the sum and carry of two op
  bits are two functions of the same four inputs. Their bits form a heap: column c holds the
  bits of weight 2**c.
- **Compression stages** apply counters to every column taller than three bits: a (k;3) counter
  (4 <= k <= 6) turns k bits of column c into one bit each of columns c, c+1 and c+2 with two LUT
  sites and two carry positions (``finnflow_carry``: the first LUT adds one bit to the parity of
  the other five, the second forms that five-bit count's upper bits, the chain combines them);
  three left-over bits take a full adder (one LUT site).
- **The final adder** adds the at most three rows left with one LUT site and one carry position
  per column (a ternary adder), or two rows with a plain adder.

A 64-lane XNOR popcount takes 78 LUT sites this way, against 110 LUTs for a tree of
full-adder leaves and adders (Yosys 0.23, ``synth_xilinx -family xc7``). The stages are
registered every :data:`PIPE` stages and at the output; the side-band tag passes through a delay
line of as many levels beside them, so ``finnflow_dotp`` needs no copy of the schedule.

``finnflow_popcount`` is generated for the (N, OP) pairs a design uses (``write_popcount``), one
generate branch per pair; the RTL generator writes it next to the library modules."""

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

OPS = {0: "x & w", 1: "XNOR(x, w)", 2: "!w"}  # finnflow_dotp's plane ops
PIPE = 2  # compression stages between pipeline registers
FILE = "finnflow_popcount.sv"
DEFAULT = (1, 0)  # finnflow_popcount's default (N, OP), as finnflow_dotp's defaults need


def _op_bit(op: int, x: int, w: int) -> int:
    return (x & w) if op == 0 else (1 - (x ^ w)) if op == 1 else 1 - w


def _init(o6, o5) -> int:
    """LUT6_2 INIT with I5 = 1 for dual use: O6 (INIT[63:32]) and O5 (INIT[31:0]) as functions
    of the index n = {I4..I0}."""
    return sum((o6(n) & 1) << (32 + n) | (o5(n) & 1) << n for n in range(32))


def _ones(n: int, count: int) -> int:
    return bin(n & ((1 << count) - 1)).count("1")


# the first LUT of a counter takes u0 on I5, so it is a 6-input O6 whose I5 = 0 half is O5:
# O6 = u0 ^ parity(u1..u5), O5 = parity(u1..u5)
_PARITY5 = sum((_ones(n, 5) & 1) << n | (1 - (_ones(n, 5) & 1)) << (32 + n) for n in range(32))
_COUNT5_HIGH = _init(lambda n: (_ones(n, 5) >> 1) & 1, lambda n: int(_ones(n, 5) >= 4))
_FULL_ADDER = _init(lambda n: _ones(n, 3) & 1, lambda n: int(_ones(n, 3) >= 2))
_TERNARY = _init(lambda n: _ones(n, 4) & 1, lambda n: int(_ones(n, 3) >= 2))


@dataclass
class Netlist:
    """One (N, OP) branch of ``finnflow_popcount`` as cells, its cost, its Verilog and its
    evaluation in numpy (so the schedule is checked without a simulator).

    Cells: ``("op", out, k)`` lane k's bit; ``("lut", inputs, init, o6, o5)`` one LUT site
    (inputs I0, I1, ...; the rest tied: I5 to 1, the others to 0); ``("chain", s, di, o, co)``
    a carry chain; ``("reg", out, in)`` a register; ``("add", out, a, b)`` two rows added in
    plain logic; ``("count", bits)`` the count's bits (LSB first), registered at the output."""

    n: int
    op: int
    cells: list[tuple] = field(default_factory=list)
    luts: int = 0  # LUT sites
    ffs: int = 0  # register bits, the tag's excluded
    registers: int = 0  # register levels: the latency in cycles of en
    _wires: int = 0

    def wire(self) -> str:
        self._wires += 1
        return f"n{self._wires}"

    def lut(self, inputs: list[str], init: int) -> tuple[str, str]:
        o6, o5 = self.wire(), self.wire()
        self.cells.append(("lut", inputs, init, o6, o5))
        self.luts += 1
        return o6, o5

    def chain(self, s: list[str], di: list[str]) -> tuple[list[str], str]:
        o, co = [self.wire() for _ in s], self.wire()
        self.cells.append(("chain", s, di, o, co))
        return o, co

    def register(self, bits: list[str]) -> list[str]:
        out = [self.wire() for _ in bits]
        self.cells += [("reg", r, b) for r, b in zip(out, bits, strict=True)]
        self.ffs += len(bits)
        return out

    def verilog(self) -> list[str]:
        """The branch body (wires, cells, registers and the output register ``c_r``)."""
        cat = lambda v: "{" + ", ".join(reversed(v)) + "}"  # noqa: E731
        lines = []
        for cell in self.cells:
            kind = cell[0]
            if kind == "op":
                _, out, k = cell
                expr = {0: f"x[{k}] & w[{k}]", 1: f"~(x[{k}] ^ w[{k}])", 2: f"~w[{k}]"}[self.op]
                lines += [f"wire {out};", f"assign {out} = {expr};"]
            elif kind == "lut":
                _, ins, init, o6, o5 = cell
                pins = ins + ["1'b0"] * (5 - len(ins)) + (["1'b1"] if len(ins) < 6 else [])
                lines += [
                    f"wire {o6}, {o5};",
                    f"finnflow_lut6_2 #(.INIT(64'h{init:016X})) u_{o6} "
                    f"(.i({cat(pins)}), .o6({o6}), .o5({o5}));",
                ]
            elif kind == "chain":
                _, sp, di, o, co = cell
                lines += [
                    f"wire {', '.join([*o, co])};",
                    f"finnflow_carry #(.N({len(sp)})) u_{co} (.s({cat(sp)}), .di({cat(di)}), "
                    f".o({cat(o)}), .co({co}));",
                ]
            elif kind == "reg":
                _, r, b = cell
                lines += [f"reg {r};", f"always @(posedge ap_clk) if (en) {r} <= {b};"]
            elif kind == "add":
                _, out, a, b = cell
                w = len(a) + 1
                lines += [
                    f"wire [{w - 1}:0] {out};",
                    f"assign {out} = {w}'({cat(a)}) + {w}'({cat(b)});",
                ]
            else:  # count
                width = self.n.bit_length()
                lines.append(f"always @(posedge ap_clk) if (en) c_r <= {width}'({cat(cell[1])});")
        return lines

    def evaluate(self, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        """The count for each row of the 0/1 arrays ``x`` and ``w`` (samples x N), through the
        cells as the hardware computes it (registers as wires)."""
        v = {"1'b0": np.zeros(len(x), np.int64), "1'b1": np.ones(len(x), np.int64)}
        value = lambda bits: sum(v[b] << i for i, b in enumerate(bits))  # noqa: E731
        for k in range(self.n):
            v[f"x[{k}]"], v[f"w[{k}]"] = x[:, k].astype(np.int64), w[:, k].astype(np.int64)
        for cell in self.cells:
            kind = cell[0]
            if kind == "op":
                v[cell[1]] = _op_bit(self.op, v[f"x[{cell[2]}]"], v[f"w[{cell[2]}]"])
            elif kind == "lut":
                _, ins, init, o6, o5 = cell
                pins = ins + ["1'b0"] * (5 - len(ins)) + (["1'b1"] if len(ins) < 6 else [])
                index = value(pins)
                table = np.array([(init >> i) & 1 for i in range(64)])
                v[o6], v[o5] = table[index], table[index & 31]
            elif kind == "chain":
                _, sp, di, o, co = cell
                carry = v["1'b0"]
                for sk, dk, ok in zip(sp, di, o, strict=True):
                    v[ok] = v[sk] ^ carry
                    carry = np.where(v[sk] == 1, carry, v[dk])
                v[co] = carry
            elif kind == "reg":
                v[cell[1]] = v[cell[2]]
            elif kind == "add":
                _, out, a, b = cell
                total = value(a) + value(b)
                for i in range(len(a) + 1):
                    v[f"{out}[{i}]"] = (total >> i) & 1
            else:
                return value(cell[1])
        raise ValueError("netlist without a count")


def _leaves(net: Netlist) -> dict[int, list[str]]:
    n, op = net.n, net.op
    cols: dict[int, list[str]] = {0: [], 1: []}
    bit = lambda m, k: _op_bit(op, (m >> 2 * k) & 1, (m >> (2 * k + 1)) & 1)  # noqa: E731
    init = _init(lambda m: bit(m, 0) ^ bit(m, 1), lambda m: bit(m, 0) & bit(m, 1))
    for k in range(0, n - 1, 2):
        s, c = net.lut([f"x[{k}]", f"w[{k}]", f"x[{k + 1}]", f"w[{k + 1}]"], init)
        cols[0].append(s)
        cols[1].append(c)
    if n % 2:
        b = net.wire()
        net.cells.append(("op", b, n - 1))
        net.luts += 1  # a LUT of its own unless synthesis merges it
        cols[0].append(b)
    return {c: v for c, v in cols.items() if v}


def _counter(net: Netlist, bits: list[str]) -> list[str]:
    """(k;3) counter, k <= 6: the three bits of the count of ``bits``."""
    u = bits + ["1'b0"] * (6 - len(bits))
    p0, d0 = net.lut(u[1:6] + [u[0]], _PARITY5)  # O6: parity of all six, O5: of u1..u5
    p1, d1 = net.lut(u[1:6], _COUNT5_HIGH)  # O6: bit 1 of count(u1..u5), O5: that count >= 4
    (o0, o1), co = net.chain([p0, p1], [d0, d1])
    return [o0, o1, co]


def _compress(net: Netlist, cols: dict[int, list[str]]) -> dict[int, list[str]]:
    """One stage: every column taller than three bits through counters and a full adder."""
    out: dict[int, list[str]] = {}
    for c in sorted(cols):
        bits, i = cols[c], 0
        if len(bits) > 3:
            while len(bits) - i >= 4:
                k = min(6, len(bits) - i)
                for d, b in enumerate(_counter(net, bits[i : i + k])):
                    out.setdefault(c + d, []).append(b)
                i += k
            if len(bits) - i == 3:
                s, cy = net.lut(bits[i : i + 3], _FULL_ADDER)
                out.setdefault(c, []).append(s)
                out.setdefault(c + 1, []).append(cy)
                i += 3
        out.setdefault(c, []).extend(bits[i:])
    return out


def _final_adder(net: Netlist, cols: dict[int, list[str]]) -> list[str]:
    """The sum of the (at most three) rows of the heap, LSB first."""
    top = max(cols) + 1
    rows = [
        [cols.get(c, [])[r] if r < len(cols.get(c, [])) else "1'b0" for c in range(top)]
        for r in range(3)
    ]
    if all(len(v) <= 2 for v in cols.values()):
        out = net.wire()
        net.cells.append(("add", out, rows[0], rows[1]))
        net.luts += top  # one LUT per column before the carry chain
        return [f"{out}[{i}]" for i in range(top + 1)]
    props, gens, carry = [], [], "1'b0"
    for c in range(top + 1):
        terms = [r[c] for r in rows] if c < top else ["1'b0"] * 3
        p, m = net.lut([*terms, carry], _TERNARY)  # O6: propagate, O5: this column's majority
        props.append(p)
        gens.append(carry)
        carry = m
    o, co = net.chain(props, gens)
    return [*o, co]


def popcount_netlist(n: int, op: int) -> Netlist:
    """The compressor of ``n`` lanes of plane op ``op`` (see :data:`OPS`)."""
    if n < 1 or op not in OPS:
        raise ValueError(f"popcount of {n} lanes with op {op}: need n >= 1 and op in {set(OPS)}")
    net = Netlist(n, op)
    cols = _leaves(net)
    stage = 0
    while max(len(v) for v in cols.values()) > 3:
        cols = _compress(net, cols)
        stage += 1
        if stage % PIPE == 0:
            cols = {c: net.register(v) for c, v in cols.items()}
            net.registers += 1
    if n <= 2:  # the leaf (or the single lane) is the count
        bits = [b for c in sorted(cols) for b in cols[c]]
    else:
        bits = _final_adder(net, cols)
    width = n.bit_length()
    net.cells.append(("count", (bits + ["1'b0"] * width)[:width]))
    net.ffs += width
    net.registers += 1
    return net


def dotp_popcounts(simd: int, wbipolar: bool, xnor: bool) -> set[tuple[int, int]]:
    """The (N, OP) pairs ``finnflow_dotp`` instantiates (its plane ops)."""
    if xnor:
        return {(simd, 1)}
    if wbipolar:
        return {(simd, 1), (simd, 2)}
    return {(simd, 0)}


def mvau_popcounts(params: dict) -> set[tuple[int, int]]:
    """The (N, OP) pairs of the parameters of a ``finnflow_mvau`` or ``finnflow_dotp`` instance
    (the modules' defaults where ``params`` is silent); none for the DSP datapath."""
    if params.get("RES_TYPE", "lut") == "dsp":
        return set()
    return dotp_popcounts(
        params.get("SIMD", 1), bool(params.get("WBIPOLAR", 0)), bool(params.get("BINARY_XNOR", 0))
    )


def popcount_module(specs) -> str:
    """SystemVerilog of ``finnflow_popcount`` with one branch per (N, OP) of ``specs`` and one
    for :data:`DEFAULT` (tools that elaborate every module read at its default parameters, as
    Yosys without ``-defer`` does, reach it through ``finnflow_dotp``'s defaults)."""
    specs = sorted({*specs, DEFAULT})
    out = [
        "// finnflow_popcount: generated by finnflow.rtl.popcount (see its docstring): the",
        "// number of lanes k whose bit op(x[k], w[k]) is set; OP 0: x & w, 1: XNOR(x, w), 2: !w.",
        "// c and tag_out follow x, w and tag_in after the branch's register levels (advancing",
        "// on en); ap_rst_n clears the tag only. Branches: "
        + (", ".join(f"N={n} OP={op}" for n, op in specs) or "none"),
        "module finnflow_popcount #(",
        f"    parameter N    = {DEFAULT[0]},",
        f"    parameter OP   = {DEFAULT[1]},",
        "    parameter TAGW = 1",
        ") (",
        "    input  wire                   ap_clk,",
        "    input  wire                   ap_rst_n,",
        "    input  wire                   en,",
        "    /* verilator lint_off UNUSEDSIGNAL */",
        "    input  wire [          N-1:0] x,  // unused with OP = 2",
        "    /* verilator lint_on UNUSEDSIGNAL */",
        "    input  wire [          N-1:0] w,",
        "    input  wire [       TAGW-1:0] tag_in,",
        "    output wire [       TAGW-1:0] tag_out,",
        "    output wire [$clog2(N+1)-1:0] c",
        ");",
        "  reg [$clog2(N+1)-1:0] c_r;",
        "  assign c = c_r;",
        "  generate",
        "    /* verilator lint_off UNUSEDSIGNAL */  // counter outputs above the count's width",
    ]
    for i, (n, op) in enumerate(specs):
        net = popcount_netlist(n, op)
        out.append(f"    {'else ' if i else ''}if (N == {n} && OP == {op}) begin : g_n{n}_op{op}")
        out += [f"      {line}" for line in net.verilog()]
        out.append(f"      finnflow_delay #(.W(TAGW), .LATENCY({net.registers})) u_tag (")
        out.append(
            "          .ap_clk(ap_clk), .ap_rst_n(ap_rst_n), .en(en), .i(tag_in), .o(tag_out));"
        )
        out.append("    end")
    out += [
        f"    {'else ' if specs else ''}begin : g_missing",
        "      finnflow_param_error #(",
        '          .MSG("finnflow_popcount: no netlist for this N and OP (generate it with '
        'finnflow.rtl.popcount.write_popcount)")',
        "      ) u_error ();",
        "    end",
        "    /* verilator lint_on UNUSEDSIGNAL */",
        "  endgenerate",
        "endmodule",
        "",
    ]
    return "\n".join(out)


def write_popcount(directory: Path, specs) -> str:
    """Write ``finnflow_popcount`` for ``specs`` into ``directory``; returns the file name."""
    (Path(directory) / FILE).write_text(popcount_module(specs))
    return FILE


@functools.cache
def popcount_cost(n: int) -> tuple[int, int]:
    """(LUT sites, register bits) of the compressor of ``n`` lanes: the schedule does not depend
    on the op, which only sets the leaves' INIT."""
    net = popcount_netlist(n, 1)
    return net.luts, net.ffs
