"""Benchmark of the rtlsim stage: Verilator build time, simulated cycles per second and frames per
second of the simulation itself, for TFC and SFC at w1a1 and w2a2 (100k FPS) and TFC w2a2 at
1M FPS, each with the popcounts as netlists and as their behavioral models (what the flow
simulates), in the same run.

Networks are trained for one epoch on MNIST (the 10k subset beside the project, else digits),
converted and folded for the case's target; each design is built in a fresh folder (cold
Verilator build, runtime objects included) and simulated on real test images.

    python bench/rtlsim_bench.py [--frames 200] [--repeat 2] [--out bench/results/rtlsim.json]
"""

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

from qonnx.custom_op.registry import getCustomOp

from finnflow.build import run_build
from finnflow.config import BuildConfig, TrainConfig, validate
from finnflow.execute import execute
from finnflow.export import load_model
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import estimate_network
from finnflow.rtl import StitchedDesign
from finnflow.sim.rtlsim import run_design
from finnflow.training import load_dataset

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"
CASES = [  # (network, precision, target FPS)
    ("TFC", "w1a1", 100_000),
    ("TFC", "w2a2", 100_000),
    ("SFC", "w1a1", 100_000),
    ("SFC", "w2a2", 100_000),
    ("TFC", "w2a2", 1_000_000),
]
POPCOUNTS = ("netlist", "model")


def bench_case(network, precision, fps, args, dataset, data_dir, work: Path) -> dict:
    cfg = validate(
        BuildConfig(
            name=f"{network}-{precision}-{fps}",
            network=network,
            precision=precision,
            input_bits=1 if precision == "w1a1" else 8,
            dataset=dataset,
            data_dir=data_dir,
            target_fps=fps,
            train=TrainConfig(epochs=1),
            verify_samples=args.frames,
            rtlsim=False,
        )
    )
    out = work / cfg.name
    run_build(cfg, out, stop_step="rtlgen")
    data = load_dataset(dataset, data_dir)
    pre, df = load_model(out / "preprocess.onnx"), load_model(out / "folded.onnx")
    x_int = execute(pre, data.x_test[: args.frames])[pre.graph.output[0].name]
    expected = execute(df, x_int)[df.graph.output[0].name].reshape(args.frames, -1)
    design = StitchedDesign.load(out / "rtl")
    runs = []
    for r in range(args.repeat):
        for popcounts in POPCOUNTS:
            t0 = time.time()
            res = run_design(
                design,
                x_int,
                work / f"{cfg.name}-{popcounts}-verilator{r}",
                netlist_popcounts=popcounts == "netlist",
            )
            wall = time.time() - t0
            runs.append(
                {
                    "popcounts": popcounts,
                    "verilator_build_seconds": round(res.build_seconds, 2),
                    "sim_seconds": round(res.sim_seconds, 3),
                    "sim_cycles_per_second": round(res.total_cycles / res.sim_seconds),
                    "sim_frames_per_second": round(args.frames / res.sim_seconds, 1),
                    "total_seconds": round(wall, 2),
                    "bit_exact": bool((res.outputs == expected).all()),
                    "cycles_per_frame": res.cycles_per_frame,
                }
            )
    est = estimate_network(df, 100.0)
    return {
        "network": network,
        "precision": precision,
        "target_fps": fps,
        "dataset": dataset,
        "frames": args.frames,
        "estimated_cycles_per_frame": est["max_cycles"],
        "lanes": sum(getCustomOp(n).datapath_lanes() for n in hw_nodes(df)),
        "runs": runs,
        "verilator": res.verilator,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=200)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--out", default="bench/results/rtlsim.json")
    args = p.parse_args()
    dataset, data_dir = ("mnist", str(SHARED_MNIST)) if SHARED_MNIST.is_dir() else ("digits", None)
    with tempfile.TemporaryDirectory() as td:
        results = [bench_case(*case, args, dataset, data_dir, Path(td)) for case in CASES]
    report = {"machine": platform.machine(), "python": platform.python_version(), "cases": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    rows = [
        "| design | lanes | cycles/frame (estimate) | popcounts | bit-exact | build s "
        "| simulated Mcycles/s | simulation FPS | build: netlist / model |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in results:
        by = {p: [r for r in c["runs"] if r["popcounts"] == p] for p in POPCOUNTS}
        ratio = " / ".join(
            f"{a['verilator_build_seconds'] / b['verilator_build_seconds']:.1f}x"
            for a, b in zip(by["netlist"], by["model"], strict=True)
        )
        for popcounts, runs in by.items():
            build = " / ".join(f"{r['verilator_build_seconds']:.1f}" for r in runs)
            cps = " / ".join(f"{r['sim_cycles_per_second'] / 1e6:.2f}" for r in runs)
            fps = " / ".join(f"{r['sim_frames_per_second']:.0f}" for r in runs)
            exact = all(r["bit_exact"] for r in runs)
            rows.append(
                f"| {c['network']} {c['precision']} at {c['target_fps']:,} FPS | {c['lanes']} "
                f"| {runs[0]['cycles_per_frame']:g} ({c['estimated_cycles_per_frame']}) "
                f"| {popcounts} | {exact} | {build} | {cps} | {fps} "
                f"| {ratio if popcounts == 'model' else ''} |"
            )
    table = "\n".join(rows)
    first = results[0]
    note = f"{args.frames} frames of {first['dataset']}, runs separated by /; {first['verilator']}"
    out.with_suffix(".md").write_text(f"# rtlsim benchmark\n\n{table}\n\n{note}\n")
    print(f"{table}\n{note}\nwrote {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
