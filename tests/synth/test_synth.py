"""Yosys synthesis runner: stat parsing, families, every memory style of a small stitched design
(block RAM only where asked, no DSPs with -nodsp), one node alone, the content cache, errors."""

import functools
import json
import shutil
import time

import pytest
from qonnx.core.modelwrapper import ModelWrapper

from finnflow.boards import BOARDS, Board
from finnflow.build import run_build
from finnflow.errors import ConfigError, SynthesisError, ToolNotFoundError
from finnflow.rtl import LIB_DIR, StitchedDesign
from finnflow.streams import StreamFormat, pack
from finnflow.synth import (
    SynthResult,
    family_for,
    parse_stat,
    synthesize,
    synthesize_many,
    synthesize_node,
)

# `tee -o FILE stat` after synth_xilinx -family xcup (without -nodsp) of a 64-16-10 w2a2 design
STAT_TEXT = """
11. Printing statistics.

=== finnflow_top ===

   Number of wires:                552
   Number of wire bits:           2323
   Number of public wires:         178
   Number of public wire bits:     856
   Number of memories:               0
   Number of memory bits:            0
   Number of processes:              0
   Number of cells:                718
     BUFG                            1
     CARRY4                         36
     DSP48E2                         2
     FDRE                          223
     IBUF                           20
     INV                            89
     LUT1                           28
     LUT2                          109
     LUT3                           34
     LUT4                           22
     LUT5                           27
     LUT6                           68
     MUXF7                          26
     MUXF8                          11
     MUXF9                           5
     OBUF                           10
     RAM32M16                        4
     RAMB18E2                        2
     RAMB36E2                        1

"""

# `tee -o FILE stat -json` after synth_xilinx -family xcup of finnflow_fifo (WIDTH 8, DEPTH 64)
STAT_JSON = """{
   "creator": "Yosys 0.23 (git sha1 7ce5011c24b)",
   "invocation": "stat -json ",
   "modules": {
      "\\\\finnflow_fifo": {
         "num_wires":         76,
         "num_wire_bits":     236,
         "num_pub_wires":     15,
         "num_pub_wire_bits": 52,
         "num_memories":      0,
         "num_memory_bits":   0,
         "num_processes":     0,
         "num_cells":         111,
         "num_cells_by_type": {
            "BUFG": 1,
            "CARRY4": 6,
            "FDRE": 28,
            "IBUF": 12,
            "INV": 23,
            "LUT2": 14,
            "LUT3": 1,
            "LUT4": 3,
            "LUT5": 4,
            "LUT6": 7,
            "OBUF": 10,
            "RAM64M8": 2
         }
      }
   },
      "design": {
         "num_wires":         76,
         "num_wire_bits":     236,
         "num_pub_wires":     15,
         "num_pub_wire_bits": 52,
         "num_memories":      0,
         "num_memory_bits":   0,
         "num_processes":     0,
         "num_cells":         111,
         "num_cells_by_type": {
            "BUFG": 1,
            "CARRY4": 6,
            "FDRE": 28,
            "IBUF": 12,
            "INV": 23,
            "LUT2": 14,
            "LUT3": 1,
            "LUT4": 3,
            "LUT5": 4,
            "LUT6": 7,
            "OBUF": 10,
            "RAM64M8": 2
         }
      }
}
"""

STYLES = ("block", "distributed")


def _resources(r: SynthResult) -> dict:
    return {k: v for k, v in r.to_dict().items() if k != "cached"}


def _result(cells: dict) -> SynthResult:
    return SynthResult.from_cells(
        cells, family="xcup", top="t", depth=3, seconds=1.0, yosys="Yosys 0.23"
    )


def test_parse_stat_text():
    r = _result(parse_stat(STAT_TEXT))
    assert r.cells["LUT6"] == 68 and r.cells["MUXF9"] == 5 and len(r.cells) == 19
    assert r.lut_logic == 28 + 109 + 34 + 22 + 27 + 68 and r.inverters == 89  # INV apart
    assert r.lut_memory == 4 * 8  # RAM32M16: a whole SLICEM, 8 LUTs
    assert r.lut == r.lut_logic + r.lut_memory
    assert (r.ff, r.carry, r.bram18, r.uram, r.dsp) == (223, 36, 2 + 2 * 1, 0, 2)


def test_parse_stat_json():
    r = _result(parse_stat(STAT_JSON))
    assert r.lut_logic == 14 + 1 + 3 + 4 + 7 and r.inverters == 23 and r.lut_memory == 2 * 8
    assert (r.ff, r.carry, r.bram18, r.dsp) == (28, 6, 0, 0)
    assert json.loads(json.dumps(r.to_dict())) == r.to_dict()


def test_parse_stat_without_cells():
    with pytest.raises(SynthesisError, match="stat"):
        parse_stat("Yosys 0.23\nEnd of script.\n")


def test_family_for():
    assert family_for(BOARDS["Pynq-Z1"]) == "xc7"
    assert family_for(BOARDS["Ultra96"]) == "xcup"
    zcu104 = Board("ZCU104", "xczu7ev-ffvc1156-2-e", lut=1, ff=1, bram18=1, dsp=1)
    assert family_for(zcu104) == "xcup"
    assert family_for("xc7a35ticsg324-1L") == "xc7"
    assert family_for("xcvu9p-flga2104-2L-e") == "xcup"
    assert family_for("xcku040-ffva1156-2-e") == "xcu"
    with pytest.raises(ConfigError, match="xcvc1902"):
        family_for(Board("VCK190", "xcvc1902-vsva2197-2MP-e-S", lut=1, ff=1, bram18=1, dsp=1))


@pytest.fixture(scope="module")
def designs(build_dir, quick_config) -> dict:
    """Build folders of the same tiny network (64-16-10) with MVAU weights in block RAM and in
    LUTs, up to the generated RTL."""
    out = {}
    for style in STYLES:
        folding = {"Defaults": {"ram_style": [style, ["MVAU"]]}}
        cfg = quick_config("w2a2", epochs=1, hidden=[16], verify_samples=50, folding=folding)
        out[style] = build_dir / f"synth-{style}"
        run_build(cfg, out[style], stop_step="rtlgen")
        top = (out[style] / "rtl" / "finnflow_top.v").read_text()
        assert f'.RAM_STYLE("{style}")' in top
    return out


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("synth-cache")


def _both_families(rtl, cache) -> list[SynthResult]:
    calls = [functools.partial(synthesize, rtl, f, cache_dir=cache) for f in ("xc7", "xcup")]
    return synthesize_many(calls, workers=2)


def test_stitched_design_both_families(designs, cache, yosys_exe):
    rtl = designs["block"] / "rtl"
    xc7, xcup = _both_families(rtl, cache)
    assert (xc7.family, xcup.family) == ("xc7", "xcup")  # input order
    for r, bram in ((xc7, "RAMB18E1"), (xcup, "RAMB18E2")):
        assert r.top == "finnflow_top" and r.yosys.startswith("Yosys ")
        assert r.lut > 0 and r.ff > 0 and r.carry > 0 and r.dsp == 0 and r.uram == 0
        assert r.lut == r.lut_logic + r.lut_memory and r.lut_memory > 0  # FIFOs, input buffers
        assert r.bram18 > 0 and bram in r.cells
        assert r.seconds > 0
    assert "-nodsp" in (rtl.parent / "synth" / "rtl-xc7.ys").read_text()


@pytest.mark.parametrize("style", STYLES)
def test_every_memory_style(style, designs, cache, yosys_exe):
    for r in _both_families(designs[style] / "rtl", cache):
        assert r.lut > 0 and r.ff > 0 and r.dsp == 0
        if style == "block":
            assert r.bram18 > 0
        else:  # weights and thresholds in LUTs as logic, the FIFOs and input buffers LUT RAM
            assert r.bram18 == 0 and r.uram == 0 and r.lut_memory > 0


@pytest.fixture(scope="module")
def node_run(designs, tmp_path_factory):
    """MVAU_1 of the distributed design synthesized alone, into a fresh cache."""
    model = ModelWrapper(str(designs["distributed"] / "folded.onnx"))
    work = tmp_path_factory.mktemp("synth-node")
    run = functools.partial(
        synthesize_node, model, model.get_node_from_name("MVAU_1"), "xc7", work / "nodes"
    )
    return run, work / "cache"


def test_synthesize_node(node_run, designs, cache, yosys_exe):
    run, node_cache = node_run
    r = run(cache_dir=node_cache)
    assert not r.cached and r.top == "finnflow_top" and r.family == "xc7"
    assert r.lut > 0 and r.ff > 0 and r.bram18 == 0 and r.dsp == 0
    whole = synthesize(designs["distributed"] / "rtl", "xc7", cache_dir=cache)
    assert r.lut < whole.lut and r.ff < whole.ff


def test_cache_hit_and_content_key(node_run, yosys_exe):
    run, node_cache = node_run
    first = run(cache_dir=node_cache)
    start = time.perf_counter()
    again = run(cache_dir=node_cache)
    assert again.cached and time.perf_counter() - start < 2.0
    assert _resources(again) == _resources(first)  # the original run's time included
    rtl = node_cache.parent / "nodes" / "MVAU_1"
    mem = rtl / "MVAU_1_weights.mem"
    lines = mem.read_text().splitlines()
    mem.write_text("\n".join([f"{int(lines[0], 16) ^ 1:0{len(lines[0])}x}", *lines[1:]]) + "\n")
    assert not synthesize(rtl, "xc7", cache_dir=node_cache).cached


def _tiny_rtl(folder, body: str, library: bool = False):
    """A hand-written top level ``body`` (with the RTL library) in a folder laid out as
    generate_rtl lays it out."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    if library:
        for src in sorted(LIB_DIR.glob("*.sv")):
            shutil.copyfile(src, folder / src.name)
            sources.append(src.name)
    (folder / "finnflow_top.v").write_text(body)
    fmt = StreamFormat(lanes=1, bits=8, signed=False)
    StitchedDesign(folder, "finnflow_top", [*sources, "finnflow_top.v"], fmt, fmt, 1, 1).save()
    return folder


MULTIPLIER = """module finnflow_top (input wire clk, input wire [7:0] a, b, output reg [15:0] p);
  always @(posedge clk) p <= a * b;
endmodule
"""


def test_nodsp_flag(tmp_path, yosys_exe):
    rtl = _tiny_rtl(tmp_path / "rtl", MULTIPLIER)
    luts, with_dsp = synthesize_many(
        [
            functools.partial(synthesize, rtl, "xc7", nodsp=nodsp, cache_dir=tmp_path / "c")
            for nodsp in (True, False)
        ]
    )
    assert luts.dsp == 0 and luts.lut > 0
    assert with_dsp.dsp == 1 and with_dsp.cells["DSP48E1"] == 1
    assert (tmp_path / "synth" / "rtl-xc7-dsp.log").is_file()


THRESHOLDING = """module finnflow_top (
    input wire ap_clk, ap_rst_n,
    input wire [7:0] s_axis_tdata, input wire s_axis_tvalid, output wire s_axis_tready,
    output wire [3:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready
);
  finnflow_thresholding #(
      .C(16), .PE(2), .IBITS(4), .N_THRES(3), .OBITS(2), .TBITS(5),
      .THRESH_FILE("thresholds.mem"), .RAM_STYLE("STYLE")
  ) u_thr (.*);
endmodule
"""


def test_thresholding_memory_styles(tmp_path, yosys_exe):
    """A Thresholding layer's own ram_style, "auto" included, synthesizes (Thresholding is no
    part of the designs above: their activations are fused into the MVAUs)."""
    words = [pack([-4 + w, w % 3, 7 - w // 2] * 2, 5, signed=True) for w in range(8)]
    calls = []
    for style in ("distributed", "block", "auto"):
        rtl = _tiny_rtl(
            tmp_path / style, THRESHOLDING.replace('"STYLE"', f'"{style}"'), library=True
        )
        (rtl / "thresholds.mem").write_text("".join(f"{w:08x}\n" for w in words))
        calls.append(functools.partial(synthesize, rtl, "xc7", cache_dir=tmp_path / "c"))
    dist, block, auto = synthesize_many(calls)
    assert dist.bram18 == 0 and block.bram18 == 1
    for r in (dist, block, auto):
        assert r.lut > 0 and r.ff > 0 and r.dsp == 0


def test_broken_rtl(tmp_path, yosys_exe):
    rtl = _tiny_rtl(tmp_path / "rtl", MULTIPLIER.replace("always", "alwayz"))
    with pytest.raises(SynthesisError) as err:
        synthesize(rtl, "xc7", cache_dir=tmp_path / "c")
    msg = str(err.value)
    assert "finnflow_top" in msg and str(rtl) in msg and "ERROR" in msg and "rtl-xc7.log" in msg
    assert not list((tmp_path / "c").glob("*.json"))  # a failure is never cached
    with pytest.raises(SynthesisError, match="design.json"):
        synthesize(tmp_path / "synth", "xc7", cache_dir=tmp_path / "c")
    (rtl / "finnflow_top.v").unlink()
    with pytest.raises(SynthesisError, match="finnflow_top.v"):
        synthesize(rtl, "xc7", cache_dir=tmp_path / "c")


def test_unknown_family(tmp_path):
    with pytest.raises(ConfigError, match="xc7"):
        synthesize(_tiny_rtl(tmp_path / "rtl", MULTIPLIER), "xc7z020")


def test_missing_yosys(tmp_path, monkeypatch):
    rtl = _tiny_rtl(tmp_path / "rtl", MULTIPLIER)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolNotFoundError, match="Yosys"):
        synthesize(rtl, "xc7", cache_dir=tmp_path / "c")
