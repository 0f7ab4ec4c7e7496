"""Generate the RTL of a folded dataflow graph: one library-module instance per hardware layer,
memory initialization files, data-width converters and FIFOs between layers, and a stitched
top level ``finnflow_top`` with one AXI-Stream input and one output.

Streams carry elements lane 0 first (in the LSBs); a layer's output element order is the next
layer's input element order, so stitching only converts word widths (PE -> SIMD elements).
"""

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.datatypes import int_type_for_range
from finnflow.errors import UnsupportedOpError
from finnflow.hw.base import hw_nodes
from finnflow.streams import pack

LIB_DIR = Path(__file__).parent / "lib"
TOP = "finnflow_top"


@dataclass(frozen=True)
class StreamFormat:
    """Elements of a stream: ``lanes`` per word, each ``bits`` wide, two's complement if signed."""

    lanes: int
    bits: int
    signed: bool

    @property
    def width(self) -> int:
        return self.lanes * self.bits

    def value_range(self) -> tuple[int, int]:
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1


@dataclass
class StitchedDesign:
    top: str
    sources: list[Path]
    input: StreamFormat
    output: StreamFormat
    in_words_per_frame: int
    out_words_per_frame: int
    layers: list[str] = field(default_factory=list)


@dataclass
class _Instance:
    module: str
    name: str
    params: dict
    out: StreamFormat


def _signed_bits(lo: int, hi: int) -> int:
    """Bits of a two's-complement number holding every integer in [lo, hi]."""
    dt = int_type_for_range(min(lo, -1), hi)
    return dt.bitwidth()


def _write_mem(path: Path, words: list[int], width: int) -> str:
    digits = max(1, math.ceil(width / 4))
    path.write_text("".join(f"{w:0{digits}x}\n" for w in words))
    return str(path.resolve())


def _pack_rows(values: np.ndarray, bits: int, signed: bool) -> list[int]:
    """Each row of ``values`` as one memory word, packed like a stream word (element 0 in the
    LSBs); a value that does not fit ``bits`` is an error, never silently truncated."""
    return [pack(row, bits, signed) for row in values]


def _mvau(model: ModelWrapper, node, fmt: StreamFormat, mem_dir: Path) -> _Instance:
    inst = getCustomOp(node)
    mw, mh = inst.get_nodeattr("MW"), inst.get_nodeattr("MH")
    pe, simd = inst.get_nodeattr("PE"), inst.get_nodeattr("SIMD")
    nf, sf = mh // pe, mw // simd
    wdt, odt = inst.dtype("weightDataType"), inst.dtype("outputDataType")
    xnor = bool(inst.get_nodeattr("binaryXnorMode"))
    bipolar = wdt == DataType["BIPOLAR"] and not xnor
    w = model.get_initializer(node.input[1]).astype(np.int64)  # [MW, MH]
    wbits = 1 if (xnor or bipolar) else wdt.bitwidth()
    w_enc = (w > 0).astype(np.int64) if bipolar else w
    # word (nf, sf) holds W[row = nf*PE + p][col = sf*SIMD + s] at lane p*SIMD + s
    tiles = w_enc.T.reshape(nf, pe, sf, simd).transpose(0, 2, 1, 3).reshape(nf * sf, pe * simd)
    params = dict(
        MW=mw,
        MH=mh,
        SIMD=simd,
        PE=pe,
        IBITS=fmt.bits,
        ISIGNED=int(fmt.signed),
        WBITS=wbits,
        WSIGNED=int(wdt.signed() and not bipolar and not xnor),
        WBIPOLAR=int(bipolar),
        BINARY_XNOR=int(xnor),
        RAM_STYLE="block" if inst.uses_bram() else "distributed",
    )
    acc = inst.dtype("accDataType")
    lo, hi = int(acc.min()), int(acc.max())
    params["WEIGHT_FILE"] = _write_mem(
        mem_dir / f"{node.name}_weights.mem",
        _pack_rows(tiles, wbits, bool(params["WSIGNED"])),
        pe * simd * wbits,
    )
    if inst.get_nodeattr("noActivation"):
        abits = _signed_bits(lo, hi)
        params.update(ABITS=abits, N_THRES=0, OBITS=abits, ACT_VAL=0)
        return _Instance("mvau", node.name, params, StreamFormat(pe, abits, True))
    t = model.get_initializer(node.input[2]).astype(np.int64)  # [MH, steps]
    abits = _signed_bits(min(lo, int(t.min())), max(hi, int(t.max())))
    steps = t.shape[1]
    t_words = t.reshape(nf, pe * steps)
    params.update(
        ABITS=abits,
        N_THRES=steps,
        OBITS=odt.bitwidth(),
        ACT_VAL=inst.get_nodeattr("ActVal"),
        THRESH_FILE=_write_mem(
            mem_dir / f"{node.name}_thresholds.mem",
            _pack_rows(t_words, abits, True),
            pe * steps * abits,
        ),
    )
    return _Instance("mvau", node.name, params, StreamFormat(pe, odt.bitwidth(), odt.signed()))


def _thresholding(model: ModelWrapper, node, fmt: StreamFormat, mem_dir: Path) -> _Instance:
    inst = getCustomOp(node)
    c, pe = inst.get_nodeattr("NumChannels"), inst.get_nodeattr("PE")
    odt = inst.dtype("outputDataType")
    t = model.get_initializer(node.input[1]).astype(np.int64)
    lo, hi = fmt.value_range()
    # a threshold above the input range is a step that never fires: it needs one more bit
    tbits = _signed_bits(min(lo, int(t.min())), max(hi, int(t.max())))
    steps = t.shape[1]
    params = dict(
        C=c,
        PE=pe,
        IBITS=fmt.bits,
        ISIGNED=int(fmt.signed),
        N_THRES=steps,
        OBITS=odt.bitwidth(),
        ACT_VAL=inst.get_nodeattr("ActVal"),
        TBITS=tbits,
        TSIGNED=1,
        THRESH_FILE=_write_mem(
            mem_dir / f"{node.name}_thresholds.mem",
            _pack_rows(t.reshape(c // pe, pe * steps), tbits, True),
            pe * steps * tbits,
        ),
        RAM_STYLE=inst.get_nodeattr("ram_style"),
    )
    return _Instance(
        "thresholding", node.name, params, StreamFormat(pe, odt.bitwidth(), odt.signed())
    )


def _label_select(model: ModelWrapper, node, fmt: StreamFormat, mem_dir: Path) -> _Instance:
    inst = getCustomOp(node)
    if inst.get_nodeattr("K") != 1:
        raise UnsupportedOpError(f"{node.name}: the RTL LabelSelect returns the top-1 label only")
    obits = inst.dtype("outputDataType").bitwidth()
    params = dict(
        NUM_LABELS=inst.get_nodeattr("Labels"),
        PE=inst.get_nodeattr("PE"),
        IBITS=fmt.bits,
        ISIGNED=int(fmt.signed),
        OBITS=obits,
    )
    return _Instance("label_select", node.name, params, StreamFormat(1, obits, False))


LAYERS = {"MVAU": _mvau, "Thresholding": _thresholding, "LabelSelect": _label_select}


def _converters(fmt: StreamFormat, lanes: int, name: str) -> list[_Instance]:
    """Width converters from ``fmt.lanes`` to ``lanes`` elements (through their gcd if neither
    divides the other)."""
    if fmt.lanes == lanes:
        return []
    steps = (
        [lanes]
        if (fmt.lanes % lanes == 0 or lanes % fmt.lanes == 0)
        else [math.gcd(fmt.lanes, lanes), lanes]
    )
    out, cur = [], fmt
    for i, target in enumerate(steps):
        nxt = StreamFormat(target, fmt.bits, fmt.signed)
        params = dict(IN_WIDTH=cur.width, OUT_WIDTH=nxt.width)
        out.append(_Instance("dwc", f"{name}_dwc{i}", params, nxt))
        cur = nxt
    return out


def generate_rtl(
    model: ModelWrapper, out_dir: Path, fifo_depth: int | None = None
) -> StitchedDesign:
    """Write memory files and ``finnflow_top.v`` for the (folded) dataflow graph ``model``.

    Between layers a FIFO holds one frame unless ``fifo_depth`` (words) is given."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    nodes = hw_nodes(model)
    for node in nodes:
        if node.op_type not in LAYERS:
            raise UnsupportedOpError(f"{node.name}: no RTL for {node.op_type}")
        getCustomOp(node).verify_folding()
    first = getCustomOp(nodes[0])
    idt = first.dtype("inputDataType")
    in_fmt = StreamFormat(getCustomOp(nodes[0]).input_lanes(), idt.bitwidth(), idt.signed())
    instances: list[_Instance] = []
    fmt = in_fmt
    for i, node in enumerate(nodes):
        if i > 0:
            lanes = getCustomOp(node).input_lanes()
            elements = getCustomOp(nodes[i - 1]).frame_elements("out")
            converters = _converters(fmt, lanes, node.name)
            fifo_fmt = fmt if fmt.lanes >= lanes else StreamFormat(lanes, fmt.bits, fmt.signed)
            depth = fifo_depth or max(2, math.ceil(elements / fifo_fmt.lanes))
            fifo = _Instance(
                "fifo", f"{node.name}_fifo", dict(WIDTH=fifo_fmt.width, DEPTH=depth), fifo_fmt
            )
            # the FIFO sits on the wide side of the width conversion, where words arrive or
            # leave at full rate
            instances += [fifo, *converters] if fmt.lanes >= lanes else [*converters, fifo]
            fmt = instances[-1].out
        inst = LAYERS[node.op_type](model, node, fmt, out_dir)
        instances.append(inst)
        fmt = inst.out
    top = out_dir / f"{TOP}.v"
    top.write_text(_top_verilog(in_fmt, instances))
    sources = sorted({LIB_DIR / f"{i.module}.sv" for i in instances}) + [
        LIB_DIR / "skid.sv",
        LIB_DIR / "thresh_act.sv",
        top,
    ]
    last = nodes[-1]
    return StitchedDesign(
        top=TOP,
        sources=list(dict.fromkeys(sources)),
        input=in_fmt,
        output=fmt,
        in_words_per_frame=getCustomOp(nodes[0]).frame_elements("in") // in_fmt.lanes,
        out_words_per_frame=math.ceil(getCustomOp(last).frame_elements("out") / fmt.lanes),
        layers=[n.name for n in nodes],
    )


def _param_text(value) -> str:
    return f'"{value}"' if isinstance(value, str) else str(int(value))


def _top_verilog(in_fmt: StreamFormat, instances: list[_Instance]) -> str:
    lines = [
        "// Generated by finnflow: stitched dataflow accelerator.",
        f"module {TOP} (",
        "    input  wire ap_clk,",
        "    input  wire ap_rst_n,",
        f"    input  wire [{in_fmt.width - 1}:0] s_axis_tdata,",
        "    input  wire s_axis_tvalid,",
        "    output wire s_axis_tready,",
        f"    output wire [{instances[-1].out.width - 1}:0] m_axis_tdata,",
        "    output wire m_axis_tvalid,",
        "    input  wire m_axis_tready",
        ");",
    ]
    widths = [in_fmt.width] + [i.out.width for i in instances]
    for k, w in enumerate(widths):
        lines += [f"    wire [{w - 1}:0] s{k}_tdata;", f"    wire s{k}_tvalid, s{k}_tready;"]
    lines += [
        "    assign s0_tdata = s_axis_tdata;",
        "    assign s0_tvalid = s_axis_tvalid;",
        "    assign s_axis_tready = s0_tready;",
    ]
    for k, inst in enumerate(instances):
        params = ",\n".join(f"        .{p}({_param_text(v)})" for p, v in inst.params.items())
        lines += [
            f"    {inst.module} #(\n{params}\n    ) {inst.name} (",
            "        .ap_clk(ap_clk), .ap_rst_n(ap_rst_n),",
            f"        .s_axis_tdata(s{k}_tdata), .s_axis_tvalid(s{k}_tvalid), "
            f".s_axis_tready(s{k}_tready),",
            f"        .m_axis_tdata(s{k + 1}_tdata), .m_axis_tvalid(s{k + 1}_tvalid), "
            f".m_axis_tready(s{k + 1}_tready)",
            "    );",
        ]
    n = len(instances)
    lines += [
        f"    assign m_axis_tdata = s{n}_tdata;",
        f"    assign m_axis_tvalid = s{n}_tvalid;",
        f"    assign s{n}_tready = m_axis_tready;",
        "endmodule",
        "",
    ]
    return "\n".join(lines)
