"""Generate the RTL of a stitched dataflow graph into one self-contained folder: the library
modules, one instance per hardware node (through the node's RTL mapping, ``rtl/layers/``), the
memory files they read, the top level ``finnflow_top`` with one AXI-Stream input and one output,
and ``design.json`` describing the streams, which simulation, synthesis and drivers read.

Streams carry elements lane 0 first (in the LSBs). Inside the design every stream is exactly as
wide as its elements; the top-level ports are padded to whole bytes, as a DMA needs (the input's
padding bits are ignored, the output's are zero). Memory files are named relative to the folder,
so tools run with the folder as working directory and the folder can be moved or packaged.
"""

import hashlib
import json
import math
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.errors import UnsupportedOpError
from finnflow.files import write_atomic
from finnflow.folding import verify_folding
from finnflow.hw.base import hw_nodes
from finnflow.rtl.layers import Instance, rtl_layer
from finnflow.rtl.popcount import FILE as POPCOUNT_FILE
from finnflow.rtl.popcount import mvau_popcounts, popcount_module, write_popcount
from finnflow.streams import StreamFormat, roundup8
from finnflow.transforms.stitch import check_stream_widths

LIB_DIR = Path(__file__).parent / "lib"
TOP = "finnflow_top"
MVAU = "finnflow_mvau"  # the module whose dot products take generated popcounts
DESIGN_FILE = "design.json"


@dataclass
class StitchedDesign:
    """The generated design: its top module, source files and top-level streams."""

    directory: Path
    top: str
    sources: list[str]
    input: StreamFormat
    output: StreamFormat
    in_words_per_frame: int
    out_words_per_frame: int
    layers: list[str] = field(default_factory=list)
    latency_bound: int = 0  # cycles of all nodes' work on one frame: a frame takes no longer

    @property
    def source_paths(self) -> list[Path]:
        return [self.directory / s for s in self.sources]

    @property
    def in_port_width(self) -> int:
        return roundup8(self.input.width)

    @property
    def out_port_width(self) -> int:
        return roundup8(self.output.width)

    def save(self) -> None:
        data = asdict(self)
        data.pop("directory")
        (self.directory / DESIGN_FILE).write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> "StitchedDesign":
        data = json.loads((Path(directory) / DESIGN_FILE).read_text())
        data["input"] = StreamFormat(**data["input"])
        data["output"] = StreamFormat(**data["output"])
        return cls(directory=Path(directory), **data)


def _words_per_frame(folded_shape: list[int]) -> int:
    return math.prod(folded_shape[1:-1])


def generate_rtl(model: ModelWrapper, rtl_dir: Path) -> StitchedDesign:
    """Write the RTL of the stitched, folded dataflow graph ``model`` into ``rtl_dir``."""
    rtl_dir = Path(rtl_dir)
    rtl_dir.mkdir(parents=True, exist_ok=True)
    nodes = hw_nodes(model)
    if not nodes:
        raise UnsupportedOpError("the dataflow graph has no hardware layer to generate RTL for")
    verify_folding(model)
    check_stream_widths(model)
    instances = [i for node in nodes for i in rtl_layer(model, node).instances(rtl_dir)]
    for a, b in zip(instances, instances[1:], strict=False):
        if a.out_width != b.in_width:
            raise UnsupportedOpError(
                f"{a.name} sends {a.out_width}-bit words to {b.name}, which reads {b.in_width}"
            )
    sources = []
    for src in sorted(LIB_DIR.glob("*.sv")):
        shutil.copyfile(src, rtl_dir / src.name)
        sources.append(src.name)
    popcounts = set().union(*(mvau_popcounts(i.params) for i in instances if i.module == MVAU))
    sources.append(write_popcount(rtl_dir, popcounts))
    first, last = getCustomOp(nodes[0]), getCustomOp(nodes[-1])
    design = StitchedDesign(
        directory=rtl_dir,
        top=TOP,
        sources=[*sources, f"{TOP}.v"],
        input=first.get_instream_format(),
        output=last.get_outstream_format(),
        in_words_per_frame=_words_per_frame(first.get_folded_input_shape()),
        out_words_per_frame=_words_per_frame(last.get_folded_output_shape()),
        layers=[n.name for n in nodes],
        latency_bound=sum(int(getCustomOp(n).get_exp_cycles()) for n in nodes),
    )
    (rtl_dir / f"{TOP}.v").write_text(_top_verilog(design, instances))
    design.save()
    return design


def library_sources(directory: Path, popcounts=()) -> list[Path]:
    """The library modules and a ``finnflow_popcount`` for the (N, OP) pairs ``popcounts``
    (see :func:`finnflow.rtl.popcount.mvau_popcounts`), written into a folder of its own per set
    under ``directory``: what a simulation or synthesis of library modules on their own reads."""
    text = popcount_module(popcounts)
    path = Path(directory) / hashlib.sha256(text.encode()).hexdigest()[:12] / POPCOUNT_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
    return [*sorted(LIB_DIR.glob("*.sv")), path]


def _param_text(value) -> str:
    return f'"{value}"' if isinstance(value, str) else str(int(value))


def _top_verilog(design: StitchedDesign, instances: list[Instance]) -> str:
    win, wout = design.input.width, design.output.width
    pin, pout = design.in_port_width, design.out_port_width
    lines = [
        "// Generated by finnflow: stitched dataflow accelerator.",
        f"module {TOP} (",
        "    input  wire ap_clk,",
        "    input  wire ap_rst_n,",
        f"    input  wire [{pin - 1}:0] s_axis_tdata,",
        "    input  wire s_axis_tvalid,",
        "    output wire s_axis_tready,",
        f"    output wire [{pout - 1}:0] m_axis_tdata,",
        "    output wire m_axis_tvalid,",
        "    input  wire m_axis_tready",
        ");",
    ]
    widths = [instances[0].in_width] + [i.out_width for i in instances]
    for k, w in enumerate(widths):
        lines += [f"    wire [{w - 1}:0] s{k}_tdata;", f"    wire s{k}_tvalid, s{k}_tready;"]
    lines.append(f"    assign s0_tdata = s_axis_tdata[{win - 1}:0];")
    if pin > win:
        lines += [
            "    // byte padding of the input port, ignored",
            "    /* verilator lint_off UNUSED */",
            f"    wire [{pin - win - 1}:0] s_axis_pad = s_axis_tdata[{pin - 1}:{win}];",
            "    /* verilator lint_on UNUSED */",
        ]
    lines += ["    assign s0_tvalid = s_axis_tvalid;", "    assign s_axis_tready = s0_tready;"]
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
    out = f"s{n}_tdata" if pout == wout else f"{{{pout - wout}'b0, s{n}_tdata}}"
    lines += [
        f"    assign m_axis_tdata = {out};",
        f"    assign m_axis_tvalid = s{n}_tvalid;",
        f"    assign s{n}_tready = m_axis_tready;",
        "endmodule",
        "",
    ]
    return "\n".join(lines)
