"""Datapath efficiency: LUTs, FFs, carry chains and DSPs per MAC lane and the logic depth of one
MVAU (MW 256, MH 64, weights in block RAM, no activation) for every (weight bits, activation bits)
in {1, 2, 3, 4, 8}^2 at SIMD 64 x PE 8 and SIMD 16 x PE 2, synthesized with Yosys
``synth_xilinx -family xc7`` without ``-nodsp``, so any DSP Yosys would infer shows: the LUT
datapath (``resType: lut``) for every pair, the DSP datapath (``resType: dsp``) for every pair
but XNOR (w1a1), next to the DSP count the estimate gives.

    .venv/bin/python bench/datapath_bench.py                     # the current RTL
    .venv/bin/python bench/datapath_bench.py --before-ref REV    # also record the RTL of git REV
    .venv/bin/python bench/datapath_bench.py --res-types dsp     # rerun one datapath's rows
    .venv/bin/python bench/datapath_bench.py --missing           # only rows the results lack

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
from qonnx.custom_op.registry import getCustomOp

from finnflow.errors import FoldingError
from finnflow.rtl import generate_rtl
from finnflow.rtl.generate import DESIGN_FILE
from finnflow.synth import synthesize, synthesize_many

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BITS = (1, 2, 3, 4, 8)
FOLDINGS = ((64, 8), (16, 2))
MW, MH = 256, 64
LIB = "src/finnflow/rtl/lib"


def configs() -> list[Layer]:
    """LUT datapath: every pair at both foldings. DSP datapath: every pair but w1a1 (XNOR) at
    both, less those the flow refuses (products too narrow for a slice)."""
    attrs = dict(MW=MW, MH=MH, out_bits=None, ram_style="block")
    lut = [
        Layer(f"dp_w{w}a{a}_s{simd}p{pe}", "MVAU", dict(w=w, a=a, SIMD=simd, PE=pe, **attrs))
        for simd, pe in FOLDINGS
        for w in BITS
        for a in BITS
    ]
    dsp = [
        Layer(
            f"dp_w{w}a{a}_s{simd}p{pe}_dsp",
            "MVAU",
            dict(w=w, a=a, SIMD=simd, PE=pe, resType="dsp", **attrs),
        )
        for simd, pe in FOLDINGS
        for w in BITS
        for a in BITS
        if (w, a) != (1, 1)
    ]
    return lut + dsp


def refused(layer: Layer) -> str | None:
    """Why the flow refuses the layer's folding (a DSP datapath too narrow for a slice)."""
    try:
        getCustomOp(layer_model(layer)[1]).verify_folding()
    except FoldingError as exc:
        return str(exc)
    return None


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
        op = getCustomOp(layer_model(layer)[1])
        rows[layer.name] = dict(
            res_type=layer.attrs.get("resType", "lut"),
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
            dsp_estimate=op.dsp_estimation(),
            seconds=res.seconds,
            yosys=res.yosys,
        )
    return rows


BEFORE_MAX_LANE_BITS = 4  # the old RTL at 512 lanes beyond w * a = 4: 30k+ LUTs, long ABC runs


def before_configs(layers: list[Layer]) -> list[Layer]:
    """The configurations run on the old RTL (LUT datapath): all at SIMD 16 x PE 2; at SIMD
    64 x PE 8 those with w * a <= BEFORE_MAX_LANE_BITS."""
    return [
        la
        for la in layers
        if la.attrs.get("resType", "lut") == "lut"
        and (
            la.attrs["SIMD"] * la.attrs["PE"] <= 32
            or la.attrs["w"] * la.attrs["a"] <= BEFORE_MAX_LANE_BITS
        )
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
        f"{BEFORE_MAX_LANE_BITS} (30k+ LUTs).",
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
    lines += [
        "",
        "## DSP datapath (resType dsp)",
        "",
        "Products of one input lane with several PEs' weights packed into one DSP multiplication "
        "(finnflow_dotp_dsp); the sums over the lanes in LUT adder trees. LUT/lane against the "
        "LUT datapath above.",
    ]
    for simd, pe in FOLDINGS:
        lines += [
            "",
            f"### SIMD {simd} x PE {pe} ({simd * pe} lanes)",
            "",
            "| w | a | LUT/lane (LUT datapath) | FF/lane | CARRY4/lane | DSP (estimate) "
            "| lanes per DSP | depth |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for w in BITS:
            for a in BITS:
                r = after.get(f"dp_w{w}a{a}_s{simd}p{pe}_dsp")
                if r is None:
                    if (w, a) != (1, 1):
                        lines.append(f"| {w} | {a} | refused: too narrow for a slice | | | | | |")
                    continue
                lut = after.get(f"dp_w{w}a{a}_s{simd}p{pe}")
                vs = f" ({lut['lut_per_lane']})" if lut else " (not run)"
                per = round(r["lanes"] / r["dsp"], 2) if r["dsp"] else "-"
                lines.append(
                    f"| {w} | {a} | {r['lut_per_lane']}{vs} | {r['ff_per_lane']} "
                    f"| {r['carry_per_lane']} | {r['dsp']} ({r['dsp_estimate']}) | {per} "
                    f"| {r['depth']} |"
                )
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before-ref", help="git revision whose MVAU module is the 'before'")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--res-types",
        default="lut,dsp",
        help="datapaths to synthesize (comma-separated); the other rows are kept from the last "
        "results file",
    )
    ap.add_argument(
        "--missing",
        action="store_true",
        help="synthesize only the configurations the last results file lacks, keeping its rows",
    )
    args = ap.parse_args()
    wanted = set(args.res_types.split(","))
    last = RESULTS / "datapath.json"
    kept = json.loads(last.read_text())["rows"] if last.is_file() else {}
    layers = [la for la in configs() if la.attrs.get("resType", "lut") in wanted]
    if args.missing:
        layers = [la for la in layers if la.name not in kept]
    skipped = {la.name: why for la in layers if (why := refused(la))}
    for why in skipped.values():
        print(f"refused: {why}", flush=True)
    layers = [la for la in layers if la.name not in skipped]
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
    if args.missing:
        after = {**kept, **after}
    elif wanted != {"lut", "dsp"}:
        after = {
            **{k: v for k, v in kept.items() if v.get("res_type", "lut") not in wanted},
            **after,
        }
    before = json.loads(before_file.read_text())["rows"] if before_file.is_file() else {}
    yosys = next(iter(after.values()))["yosys"]
    after = dict(sorted(after.items()))
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
