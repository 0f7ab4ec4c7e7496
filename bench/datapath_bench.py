"""Datapath efficiency: LUTs, FFs, carry chains and DSPs per MAC lane and the logic depth of one
MVAU (MW 256, MH 64, weights in block RAM, no activation) for every (weight bits, activation bits)
in {1, 2, 3, 4, 8}^2 at SIMD 64 x PE 8 and SIMD 16 x PE 2, synthesized with Yosys
``synth_xilinx -family xc7`` without ``-nodsp``, so any DSP Yosys would infer shows.

    .venv/bin/python bench/datapath_bench.py                     # the current RTL
    .venv/bin/python bench/datapath_bench.py --before-ref REV    # also record the RTL of git REV

Writes bench/results/datapath.json and datapath.md; ``--before-ref`` records the RTL library of
a git revision once in bench/results/datapath_before.json, which later runs read for the
before/after columns. 1-bit weights are bipolar and w1a1 is XNOR-popcount; activations are
unsigned, weights signed. Logic depth counts the primitives (LUTs, CARRY4, MUXF) on the longest
register-to-register path, so it bounds the LUT levels from above."""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from calibrate_resources import Layer, layer_model

from finnflow.rtl import generate_rtl
from finnflow.rtl.generate import DESIGN_FILE
from finnflow.synth import synthesize, synthesize_many

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BITS = (1, 2, 3, 4, 8)
FOLDINGS = ((64, 8), (16, 2))
MW, MH = 256, 64
LIB = "src/finnflow/rtl/lib"


AFTER_MAX_LANE_BITS = 16  # at 512 lanes, 16 bit products already take Yosys 2 minutes a design


def configs() -> list[Layer]:
    """Every pair at SIMD 16 x PE 2; at SIMD 64 x PE 8 those with w * a <= AFTER_MAX_LANE_BITS."""
    attrs = dict(MW=MW, MH=MH, out_bits=None, ram_style="block")
    return [
        Layer(f"dp_w{w}a{a}_s{simd}p{pe}", "MVAU", dict(w=w, a=a, SIMD=simd, PE=pe, **attrs))
        for simd, pe in FOLDINGS
        for w in BITS
        for a in BITS
        if simd * pe <= 32 or w * a <= AFTER_MAX_LANE_BITS
    ]


def library_at(ref: str) -> dict[str, str]:
    """The RTL library modules of git revision ``ref``: file name -> source."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{ref}:{LIB}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    show = partial(subprocess.run, cwd=ROOT, capture_output=True, text=True, check=True)
    return {n: show(["git", "show", f"{ref}:{LIB}/{n}"]).stdout for n in names if n.endswith(".sv")}


def rtl_dir(layer: Layer, work: Path, library: dict[str, str] | None) -> Path:
    """The layer's RTL folder; with ``library``, its library modules are exactly those sources."""
    model, _ = layer_model(layer)
    design = generate_rtl(model, work / layer.name)
    if library is not None:
        folder = design.directory
        generated = [s for s in design.sources if not s.endswith(".sv")]  # the top level
        for name in set(design.sources) - set(generated):
            (folder / name).unlink()
        for name, text in library.items():
            (folder / name).write_text(text)
        meta = json.loads((folder / DESIGN_FILE).read_text())
        meta["sources"] = [*sorted(library), *generated]
        (folder / DESIGN_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    return design.directory


def measure(
    layers: list[Layer], work: Path, workers: int, library: dict | None, nodsp: bool = False
) -> dict:
    dirs = [rtl_dir(layer, work, library) for layer in layers]
    t0 = time.time()
    results = synthesize_many([partial(synthesize, d, "xc7", nodsp=nodsp) for d in dirs], workers)
    print(f"  {len(layers)} designs in {time.time() - t0:.0f} s", flush=True)
    rows = {}
    for layer, res in zip(layers, results, strict=True):
        lanes = layer.attrs["SIMD"] * layer.attrs["PE"]
        rows[layer.name] = dict(
            w=layer.attrs["w"],
            a=layer.attrs["a"],
            SIMD=layer.attrs["SIMD"],
            PE=layer.attrs["PE"],
            lanes=lanes,
            lut=res.lut,
            ff=res.ff,
            carry=res.carry,
            dsp=res.dsp,
            bram18=res.bram18,
            depth=res.depth,
            lut_per_lane=round(res.lut / lanes, 2),
            ff_per_lane=round(res.ff / lanes, 2),
            carry_per_lane=round(res.carry / lanes, 3),
            dsp_per_lane=round(res.dsp / lanes, 3),
            seconds=res.seconds,
            yosys=res.yosys,
        )
    return rows


BEFORE_MAX_LANE_BITS = 4  # the old RTL at 512 lanes beyond w * a = 4: 30k+ LUTs, long ABC runs


def before_configs(layers: list[Layer]) -> list[Layer]:
    """The configurations run on the old RTL: all at SIMD 16 x PE 2; at SIMD 64 x PE 8 those
    with w * a <= BEFORE_MAX_LANE_BITS."""
    return [
        la
        for la in layers
        if la.attrs["SIMD"] * la.attrs["PE"] <= 32
        or la.attrs["w"] * la.attrs["a"] <= BEFORE_MAX_LANE_BITS
    ]


def _cell(after: dict, before: dict | None, key: str) -> str:
    return f"{before[key]} -> {after[key]}" if before else f"not run -> {after[key]}"


def markdown(after: dict, before: dict, yosys: str) -> str:
    lines = [
        f"# Datapath efficiency ({yosys}, synth_xilinx -family xc7, DSP inference allowed)",
        "",
        f"One MVAU, MW {MW} x MH {MH}, weights in block RAM, no activation; per MAC lane: the "
        "whole layer's count over SIMD x PE. Depth: primitives on the longest "
        "register-to-register path. Cells read before -> after. Before: the old RTL "
        "synthesized with -nodsp for LUTs, FFs, carries and depth, and without it for the DSPs "
        "Yosys infers; it was not run at SIMD 64 x PE 8 beyond w x a = "
        f"{BEFORE_MAX_LANE_BITS} (30k+ LUTs), nor the new one beyond {AFTER_MAX_LANE_BITS}.",
    ]
    for simd, pe in FOLDINGS:
        lines += [
            "",
            f"## SIMD {simd} x PE {pe} ({simd * pe} lanes)",
            "",
            "| w | a | LUT/lane | FF/lane | CARRY4/lane | DSP | depth |",
            "|---|---|---|---|---|---|---|",
        ]
        for w in BITS:
            for a in BITS:
                name = f"dp_w{w}a{a}_s{simd}p{pe}"
                if name not in after:
                    lines.append(f"| {w} | {a} | not run | | | | |")
                    continue
                r, b = after[name], before.get(name)
                cells = [_cell(r, b, k) for k in ("lut_per_lane", "ff_per_lane", "carry_per_lane")]
                dsp = f"{b['dsp_inferred']} -> {r['dsp']}" if b else f"not run -> {r['dsp']}"
                cells += [dsp, _cell(r, b, "depth")]
                lines.append(f"| {w} | {a} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before-ref", help="git revision whose MVAU module is the 'before'")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    layers = configs()
    before_file = RESULTS / "datapath_before.json"
    with tempfile.TemporaryDirectory(prefix="finnflow-datapath-") as tmp:
        work = Path(tmp)
        if args.before_ref:
            library, old = library_at(args.before_ref), before_configs(layers)
            print(f"before: the RTL library of {args.before_ref}, -nodsp", flush=True)
            rows = measure(old, work / "before", args.workers, library, nodsp=True)
            print("before: DSP inference allowed", flush=True)
            inferred = measure(old, work / "before-dsp", args.workers, library)
            for name, row in rows.items():
                row["dsp_inferred"] = inferred[name]["dsp"]
            before_file.write_text(
                json.dumps({"ref": args.before_ref, "rows": rows}, indent=1) + "\n"
            )
        print("after: the current RTL", flush=True)
        after = measure(layers, work / "after", args.workers, None)
    before = json.loads(before_file.read_text())["rows"] if before_file.is_file() else {}
    yosys = next(iter(after.values()))["yosys"]
    report = dict(
        yosys=yosys,
        machine=dict(cpus=platform.machine(), python=sys.version.split()[0]),
        mw=MW,
        mh=MH,
        rows=after,
        before=before,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "datapath.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / "datapath.md").write_text(markdown(after, before, yosys))
    print((RESULTS / "datapath.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
