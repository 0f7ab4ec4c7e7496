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
generate branch per pair; the RTL generator writes it next to the library modules.

Each netlist is proven to count exactly (:func:`prove`, run for every branch that is written), so
simulations of whole designs may take the branch's behavioral model instead (``$countones`` with
the same register levels, under the define :data:`MODEL_DEFINE`): cycle for cycle the same ports,
at under a tenth of Verilator's C++ for a wide design (3.4 MB against 44 MB for the demo's). Module
tests simulate the netlists themselves."""

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

OPS = {0: "x & w", 1: "XNOR(x, w)", 2: "!w"}  # finnflow_dotp's plane ops
PIPE = 2  # compression stages between pipeline registers
FILE = "finnflow_popcount.sv"
DEFAULT = (1, 0)  # finnflow_popcount's default (N, OP), as finnflow_dotp's defaults need
MODEL_DEFINE = "FINNFLOW_POPCOUNT_MODEL"  # simulate the proven netlists by their behavior
_EXPR = {0: "x[{k}] & w[{k}]", 1: "~(x[{k}] ^ w[{k}])", 2: "~w[{k}]"}  # lane k's op bit


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
class Step:
    """Cells that take heap bits ``ins`` to heap bits ``outs``, each ``(wire, column)``; the
    claim :func:`prove` checks is that the two weighted sums (bit x 2**column) are equal. A lane
    ``k`` is the input ``lane{k}`` (its op bit) in column 0."""

    kind: str  # leaf, counter, full_adder, register, ternary or add
    ins: list[tuple[str, int]]
    outs: list[tuple[str, int]]
    cells: list[tuple]


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
    steps: list[Step] = field(default_factory=list)
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

    def step(self, kind: str, ins, outs, first_cell: int) -> None:
        """Record the cells from ``first_cell`` on as one step (see :class:`Step`)."""
        self.steps.append(Step(kind, list(ins), list(outs), self.cells[first_cell:]))

    def verilog(self) -> list[str]:
        """The branch body (wires, cells, registers and the output register ``c_r``)."""
        cat = lambda v: "{" + ", ".join(reversed(v)) + "}"  # noqa: E731
        lines = []
        for cell in self.cells:
            kind = cell[0]
            if kind == "op":
                _, out, k = cell
                lines += [f"wire {out};", f"assign {out} = {_EXPR[self.op].format(k=k)};"]
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
        v = {}
        for k in range(self.n):
            v[f"x[{k}]"], v[f"w[{k}]"] = x[:, k].astype(np.int64), w[:, k].astype(np.int64)
        count = self.run(self.cells, v, len(x))
        if count is None:
            raise ValueError("netlist without a count")
        return count

    def run(self, cells: list[tuple], v: dict[str, np.ndarray], size: int):
        """Evaluate ``cells`` in order on the wire values ``v`` (arrays of ``size`` samples,
        updated in place); returns the count where a count cell is reached, else None."""
        v.update({"1'b0": np.zeros(size, np.int64), "1'b1": np.ones(size, np.int64)})
        value = lambda bits: sum(v[b] << i for i, b in enumerate(bits))  # noqa: E731
        for cell in cells:
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
        return None


def _leaves(net: Netlist) -> dict[int, list[str]]:
    n, op = net.n, net.op
    cols: dict[int, list[str]] = {0: [], 1: []}
    bit = lambda m, k: _op_bit(op, (m >> 2 * k) & 1, (m >> (2 * k + 1)) & 1)  # noqa: E731
    init = _init(lambda m: bit(m, 0) ^ bit(m, 1), lambda m: bit(m, 0) & bit(m, 1))
    for k in range(0, n - 1, 2):
        first = len(net.cells)
        s, c = net.lut([f"x[{k}]", f"w[{k}]", f"x[{k + 1}]", f"w[{k + 1}]"], init)
        net.step("leaf", [(f"lane{k}", 0), (f"lane{k + 1}", 0)], [(s, 0), (c, 1)], first)
        cols[0].append(s)
        cols[1].append(c)
    if n % 2:
        b = net.wire()
        net.cells.append(("op", b, n - 1))
        net.step("leaf", [(f"lane{n - 1}", 0)], [(b, 0)], len(net.cells) - 1)
        net.luts += 1  # a LUT of its own unless synthesis merges it
        cols[0].append(b)
    return {c: v for c, v in cols.items() if v}


def _counter(net: Netlist, bits: list[str], column: int) -> list[str]:
    """(k;3) counter, k <= 6: the three bits of the count of ``bits`` (of one column)."""
    first = len(net.cells)
    u = bits + ["1'b0"] * (6 - len(bits))
    p0, d0 = net.lut(u[1:6] + [u[0]], _PARITY5)  # O6: parity of all six, O5: of u1..u5
    p1, d1 = net.lut(u[1:6], _COUNT5_HIGH)  # O6: bit 1 of count(u1..u5), O5: that count >= 4
    (o0, o1), co = net.chain([p0, p1], [d0, d1])
    outs = [o0, o1, co]
    net.step(
        "counter", [(b, column) for b in bits], [(o, column + d) for d, o in enumerate(outs)], first
    )
    return outs


def _compress(net: Netlist, cols: dict[int, list[str]]) -> dict[int, list[str]]:
    """One stage: every column taller than three bits through counters and a full adder."""
    out: dict[int, list[str]] = {}
    for c in sorted(cols):
        bits, i = cols[c], 0
        if len(bits) > 3:
            while len(bits) - i >= 4:
                k = min(6, len(bits) - i)
                for d, b in enumerate(_counter(net, bits[i : i + k], c)):
                    out.setdefault(c + d, []).append(b)
                i += k
            if len(bits) - i == 3:
                first = len(net.cells)
                s, cy = net.lut(bits[i : i + 3], _FULL_ADDER)
                net.step(
                    "full_adder", [(b, c) for b in bits[i : i + 3]], [(s, c), (cy, c + 1)], first
                )
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
    first = len(net.cells)
    ins = [(b, c) for c in sorted(cols) for b in cols[c]]
    if all(len(v) <= 2 for v in cols.values()):
        out = net.wire()
        net.cells.append(("add", out, rows[0], rows[1]))
        net.luts += top  # one LUT per column before the carry chain
        bits = [f"{out}[{i}]" for i in range(top + 1)]
        net.step("add", ins, [(b, c) for c, b in enumerate(bits)], first)
        return bits
    props, gens, carry = [], [], "1'b0"
    for c in range(top + 1):
        terms = [r[c] for r in rows] if c < top else ["1'b0"] * 3
        p, m = net.lut([*terms, carry], _TERNARY)  # O6: propagate, O5: this column's majority
        props.append(p)
        gens.append(carry)
        carry = m
    o, co = net.chain(props, gens)
    net.step("ternary", ins, [(b, c) for c, b in enumerate([*o, co])], first)
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
            first = len(net.cells)
            ins = [(b, c) for c, v in cols.items() for b in v]
            cols = {c: net.register(v) for c, v in cols.items()}
            outs = [(b, c) for c, v in cols.items() for b in v]
            net.step("register", ins, outs, first)
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


_CONST = {"1'b0": 0, "1'b1": 1}


def _reads(cell: tuple) -> list[str]:
    kind = cell[0]
    if kind == "op":
        return [f"x[{cell[2]}]", f"w[{cell[2]}]"]
    if kind == "lut":
        return list(cell[1])
    if kind == "chain":
        return [*cell[1], *cell[2]]
    if kind == "reg":
        return [cell[2]]
    if kind == "add":
        return [*cell[2], *cell[3]]
    return list(cell[1])


def _writes(cell: tuple) -> list[str]:
    kind = cell[0]
    if kind == "lut":
        return [cell[3], cell[4]]
    if kind == "chain":
        return [*cell[3], cell[4]]
    if kind == "add":
        return [f"{cell[1]}[{i}]" for i in range(len(cell[2]) + 1)]
    return [cell[1]]


def _enumerate(names: list[str]) -> dict[str, np.ndarray]:
    """Every assignment of the bits ``names``, one per sample."""
    states = np.arange(1 << len(names), dtype=np.int64)
    return {name: (states >> i) & 1 for i, name in enumerate(names)}


def _check_ternary(net: Netlist, step: Step) -> None:
    """The ternary adder column by column: its LUT (propagate p, majority m of the three terms)
    and the chain's position (o = p ^ cin, cout = p ? cin : di) keep terms + m_in + cin =
    o + 2 (m + cout) for every input value; with the chain's first carry 0, the first m_in 0 and
    the last column's m 0 (its terms are 0), the columns add up to the outputs."""
    *luts, chain = step.cells
    _, s, di, o, co = chain
    if chain[0] != "chain" or len(s) != len(luts) or any(c[0] != "lut" for c in luts):
        raise ValueError("ternary adder: one LUT per column and a carry chain expected")
    terms, m_prev = [], "1'b0"
    for c, cell in enumerate(luts):
        ins, p, m = cell[1], cell[3], cell[4]
        if len(ins) != 4 or ins[3] != m_prev or di[c] != m_prev or s[c] != p:
            raise ValueError(f"ternary adder column {c}: not linked to the column below")
        free = [b for b in ins if b not in _CONST] + ["cin"]
        v = _enumerate(free)
        net.run([cell], v, 1 << len(free))
        total = sum(v[b] for b in ins) + v["cin"]
        out = (v[p] ^ v["cin"]) + 2 * (v[m] + np.where(v[p] == 1, v["cin"], v[m_prev]))
        if not np.array_equal(total, out):
            raise ValueError(f"ternary adder column {c} does not add its terms")
        if c == len(luts) - 1 and np.any(v[m]):
            raise ValueError("ternary adder: the last column's majority is not 0")
        terms += [(b, c) for b in ins[:3] if b not in _CONST]
        m_prev = m
    if sorted(terms) != sorted(step.ins) or step.outs != [(b, c) for c, b in enumerate([*o, co])]:
        raise ValueError("ternary adder: its columns are not the step's inputs and outputs")


def _check_step(net: Netlist, step: Step) -> None:
    """The weighted sums of ``step``'s inputs and outputs are equal for every input value."""
    writes = {w for cell in step.cells for w in _writes(cell)}
    if not all(b in writes for b, _ in step.outs):
        raise ValueError(f"{step.kind} step: an output is not written by its cells")
    if step.kind == "ternary":
        return _check_ternary(net, step)
    if step.kind == "register":
        pairs = sorted((c[2], c[1]) for c in step.cells if c[0] == "reg")
        if len(pairs) != len(step.cells) or [a for a, _ in pairs] != sorted(b for b, _ in step.ins):
            raise ValueError("register step: its registers are not its inputs")
        ins, outs = dict(step.ins), dict(step.outs)
        if any(ins[a] != outs.get(b) for a, b in pairs):
            raise ValueError("register step: a bit changes column")
        return None
    if step.kind == "add":
        (_, out, a, b), *rest = step.cells
        rows = [(bit, c) for row in (a, b) for c, bit in enumerate(row) if bit not in _CONST]
        if rest or sorted(rows) != sorted(step.ins) or any(x == "1'b1" for x in a + b):
            raise ValueError("adder step: its rows are not its inputs, each in its column")
        return None
    lanes = [int(b[4:]) for b, _ in step.ins if b.startswith("lane")]
    if step.kind == "leaf":
        if len(lanes) != len(step.ins) or any(c for _, c in step.ins):
            raise ValueError("leaf step: its inputs must be lanes in column 0")
        free = [f"{xw}[{k}]" for k in lanes for xw in "xw"]
    else:
        free = [b for b, _ in step.ins if b not in _CONST]
    if len(free) > 8:
        raise ValueError(f"{step.kind} step with {len(free)} inputs is too wide to enumerate")
    reads = {r for cell in step.cells for r in _reads(cell)}
    if not reads <= set(free) | writes | set(_CONST):
        raise ValueError(f"{step.kind} step reads bits it does not claim: {reads - set(free)}")
    v = _enumerate(free)
    net.run(step.cells, v, 1 << len(free))
    for k in lanes:
        v[f"lane{k}"] = _op_bit(net.op, v[f"x[{k}]"], v[f"w[{k}]"])
    total_in = sum(v[b] << c for b, c in step.ins)
    total_out = sum(v[b] << c for b, c in step.outs)
    if not np.array_equal(total_in, total_out):
        raise ValueError(f"{step.kind} step does not keep the weighted sum of its bits")
    return None


_PROVEN: set[tuple[int, int]] = set()  # (N, OP) pairs whose netlists were proven


def prove(net: Netlist) -> None:
    """Prove that ``net`` counts its lanes' op bits exactly and that every path through it
    crosses the same registers; raise ValueError where it does not.

    The bit heap starts as the N lanes' op bits in column 0. Each step (:class:`Step`) takes
    bits that are on the heap, in the columns it claims and from one register level, and puts
    back bits whose weighted sum (bit x 2**column) equals that of its inputs for every value of
    them: leaves, counters and full adders are enumerated over their at most eight input bits,
    the ternary adder column by column with its carry chain, registers and the plain adder by
    their definitions. So after every step the heap's weighted sum is the count. The count cell
    must read the heap's bits below its width, one per column, all behind every register level;
    bits above the width would weigh more than N, so they are 0. The steps and the count cell
    are all the cells, in order."""
    where = f"popcount of {net.n} lanes, op {net.op}"
    cells = [c for step in net.steps for c in step.cells]
    if cells + net.cells[len(cells) :] != net.cells or len(net.cells) != len(cells) + 1:
        raise ValueError(f"{where}: cells outside the steps")
    heap = {f"lane{k}": (0, 0) for k in range(net.n)}
    for step in net.steps:
        try:
            _check_step(net, step)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        levels = set()
        for b, c in step.ins:
            if heap.get(b, (None,))[0] != c:
                raise ValueError(f"{where}: {step.kind} step reads {b} outside the heap's column")
            levels.add(heap.pop(b)[1])
        if len(levels) != 1:
            raise ValueError(f"{where}: {step.kind} step mixes register levels {sorted(levels)}")
        level = levels.pop() + (step.kind == "register")
        heap.update({b: (c, level) for b, c in step.outs})
    last = sum(step.kind == "register" for step in net.steps)
    (kind, bits), width = net.cells[-1], net.n.bit_length()
    if kind != "count" or len(bits) != width or net.registers != last + 1:
        raise ValueError(f"{where}: the count is not the last cell behind {last + 1} registers")
    for c, b in enumerate(bits):
        if b not in _CONST and heap.pop(b, None) != (c, last):
            raise ValueError(f"{where}: count bit {c} is not the heap's column {c}")
        if b == "1'b1":
            raise ValueError(f"{where}: count bit {c} is a constant 1")
    if any(c < width for c, _ in heap.values()):
        raise ValueError(f"{where}: heap bits below the count's width are left out")


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


def _model(net: Netlist) -> list[str]:
    """The branch's behavioral model: the count of the op bits, through as many registers."""
    width, stages = net.n.bit_length(), [f"m{i}" for i in range(1, net.registers)]
    lines = [f"wire [{net.n - 1}:0] b = {_EXPR[net.op].replace('[{k}]', '')};"]
    lines += [f"reg [{width - 1}:0] {r};" for r in stages]
    chain = [f"{width}'($countones(b))", *stages]
    lines.append("always @(posedge ap_clk)")
    lines.append("  if (en) begin")
    lines += [f"    {dst} <= {src};" for dst, src in zip([*stages, "c_r"], chain, strict=True)]
    lines.append("  end")
    return lines


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
        if (n, op) not in _PROVEN:
            prove(net)
            _PROVEN.add((n, op))
        out.append(f"    {'else ' if i else ''}if (N == {n} && OP == {op}) begin : g_n{n}_op{op}")
        out.append(f"`ifdef {MODEL_DEFINE}")
        out += [f"      {line}" for line in _model(net)]
        out.append("`else")
        out += [f"      {line}" for line in net.verilog()]
        out.append("`endif")
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
