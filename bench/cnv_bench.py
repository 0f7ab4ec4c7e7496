"""Benchmark of full-width CNV (w1a1, w2a2) from QONNX to simulated RTL: the time the flow takes
from the exported QONNX model to generated RTL whose hardware-layer graph is verified against the
QONNX model, the Verilator build time, the simulation time per frame, and rtlsim bit-exactness and
cycles per frame on real CIFAR-10 test images.

Two foldings per network: FINN's CNV folding (the PE/SIMD of FINN's CNV end-to-end example, the
sliding windows at their MVAU's SIMD, the max-pools one pixel a cycle; 32,768 cycles per frame,
set by the FC layers) and a 10x faster one, FINN's greedy SetFolding towards a tenth of that.
The networks use the checkpoints given with ``--checkpoint-dir`` (compact ``cnv_<precision>.npz``)
or, without them, untrained weights with batch-norm statistics from 1,024 training images, which
exercise the datapath the same way.

    python bench/cnv_bench.py [--frames 5] [--checkpoint-dir DIR] [--out bench/results/cnv.json]
"""

import argparse
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from finnflow.execute import execute, execute_float64
from finnflow.export import export_qonnx
from finnflow.folding import ApplyFolding, SetFolding
from finnflow.hw.estimate import expected_cycles
from finnflow.networks import parse_precision
from finnflow.networks.cnv import build_cnv
from finnflow.rtl import generate_rtl
from finnflow.sim.rtlsim import run_design
from finnflow.training import load_dataset
from finnflow.training.compact import load_compact
from finnflow.transforms import cleanup, convert_to_hw, split_dataflow, stitch, streamline

# FINN's CNV end-to-end example: (PE, SIMD) of the nine MVAUs
FINN_MVAU = [(16, 3), (32, 32), (16, 32), (16, 32), (4, 32), (1, 32), (1, 4), (1, 8), (5, 1)]
FINN_CYCLES = 32768


def finn_folding() -> dict:
    folding = {f"MVAU_{i}": {"PE": pe, "SIMD": simd} for i, (pe, simd) in enumerate(FINN_MVAU)}
    folding |= {f"ConvolutionInputGenerator_{i}": {"SIMD": FINN_MVAU[i][1]} for i in range(6)}
    folding |= {"StreamingMaxPool_0": {"PE": 64}, "StreamingMaxPool_1": {"PE": 128}}
    return folding | {"LabelSelect_0": {"PE": 1}}


def network(precision: str, checkpoint_dir: Path | None, data) -> tuple[torch.nn.Module, str]:
    net = build_cnv(parse_precision(precision), width=1.0)
    path = checkpoint_dir / f"cnv_{precision}.npz" if checkpoint_dir else None
    if path is not None and path.is_file():
        load_compact(net, path)
        return net.eval(), f"trained ({path.name})"
    torch.manual_seed(0)
    net.train()
    with torch.no_grad():
        net(torch.from_numpy(data.x_train[:1024]))
    return net.eval(), "untrained, batch-norm statistics from 1,024 training images"


def bench_case(precision: str, folding: str, args, data, work: Path) -> dict:
    net, weights = network(precision, args.checkpoint_dir, data)
    x = data.x_test[: args.frames].reshape(-1, 3, 32, 32)
    qonnx = export_qonnx(net, (3, 32, 32), work / "qonnx.onnx")

    t0 = time.time()
    part = split_dataflow(convert_to_hw(streamline(cleanup(qonnx))))
    df = part.dataflow
    if folding == "finn":
        df = df.transform(ApplyFolding(finn_folding()))
    else:
        df = df.transform(SetFolding(math.ceil(FINN_CYCLES / 10)))
    df = stitch(df)
    design = generate_rtl(df, work / "rtl")
    reference = execute_float64(qonnx, x)[qonnx.graph.output[0].name]
    x_int = execute(part.preprocess, x)[part.preprocess.graph.output[0].name]
    expected = execute(df, x_int)[df.graph.output[0].name].reshape(len(x), -1)
    hw_labels = expected[:, 0] if expected.shape[1] == 1 else expected.argmax(axis=1)
    verified = bool(np.array_equal(hw_labels, reference.argmax(axis=1)))
    to_rtl = time.time() - t0

    res = run_design(design, x_int, work / "verilator")
    return {
        "precision": precision,
        "folding": folding,
        "weights": weights,
        "frames": len(x),
        "qonnx_to_verified_rtl_seconds": round(to_rtl, 2),
        "python_stages_agree": verified,
        "estimated_cycles_per_frame": expected_cycles(df),
        "rtlsim_cycles_per_frame": res.cycles_per_frame,
        "rtlsim_bit_exact": bool(np.array_equal(res.outputs, expected.astype(np.int64))),
        "verilator_build_seconds": round(res.build_seconds, 2),
        "sim_seconds": round(res.sim_seconds, 2),
        "sim_seconds_per_frame": round(res.sim_seconds / len(x), 3),
        "simulated_cycles": res.total_cycles,
        "verilator": res.verilator,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=5)
    p.add_argument("--checkpoint-dir", type=Path, default=None)
    p.add_argument("--precisions", default="w1a1,w2a2")
    p.add_argument("--foldings", default="finn,10x")
    p.add_argument("--out", default="bench/results/cnv.json")
    args = p.parse_args()
    data = load_dataset("cifar10")
    results = []
    for precision in args.precisions.split(","):
        for folding in args.foldings.split(","):
            with tempfile.TemporaryDirectory() as td:
                r = bench_case(precision, folding, args, data, Path(td))
            print(json.dumps(r), flush=True)
            results.append(r)
    report = {"machine": platform.machine(), "cpus": os.cpu_count(), "cases": results}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    rows = [
        "| CNV | folding | cycles/frame rtlsim (estimate) | bit-exact | QONNX -> verified RTL s "
        "| Verilator build s | sim s/frame |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows.append(
            f"| {r['precision']} | {r['folding']} | {r['rtlsim_cycles_per_frame']:g} "
            f"({r['estimated_cycles_per_frame']}) | {r['rtlsim_bit_exact']} "
            f"| {r['qonnx_to_verified_rtl_seconds']} | {r['verilator_build_seconds']} "
            f"| {r['sim_seconds_per_frame']} |"
        )
    table = "\n".join(rows)
    note = (
        f"{args.frames} CIFAR-10 test images per design, {report['cpus']} CPUs; weights: "
        f"{results[0]['weights']}; {results[0]['verilator']}"
    )
    out.with_suffix(".md").write_text(f"# CNV benchmark\n\n{table}\n\n{note}\n")
    print(f"{table}\n{note}\nwrote {out} and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
