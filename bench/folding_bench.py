"""Folding benchmark: the optimizer (``folding: maximize``) against FINN-style greedy folding
(``SetFolding`` towards a target, the best target whose design fits the same budget; with FINN's
default ``mvau_wwidth_max``, and without that cap), for the FC networks and CNV at several
precisions on each board, under the calibrated resource model.

Writes ``bench/results/folding.json`` and ``folding.md``, and the chosen folding of each design
to ``build_configs/folding/<board>/<network>_<precision>.json`` (FINN's format). Structure alone
sets folding and resources, so the networks are exported untrained (FC: MNIST shape, CNV:
CIFAR-10 shape; 8-bit input). With ``--size-fifos`` each design's FIFOs are sized from rtlsim on
real MNIST (CIFAR-10 for CNV) test images (which fails unless the sized design runs at the
optimizer's cycles per frame, bit-exact), and the sized depths go into the JSON; as in the
build, the optimizer then costs FIFOs 2 words deep, and plans again with one-frame FIFOs where
the sized design does not fit. ``--merge``
keeps the rows of the results file that this run does not redo.

    python bench/folding_bench.py [--networks TFC,SFC,LFC,CNV] [--precisions w1a1,...]
        [--boards Pynq-Z1,Ultra96] [--size-fifos] [--merge]
"""

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch

from finnflow.boards import RESOURCES, get_board
from finnflow.errors import FoldingError
from finnflow.execute import execute
from finnflow.export import export_qonnx
from finnflow.folding import (
    FoldingSearch,
    SetFolding,
    folding_config,
    maximize_with_sizing,
)
from finnflow.hw.estimate import estimate_network
from finnflow.hw.resources import calibrated_with
from finnflow.networks import build_fc, parse_precision
from finnflow.networks.cnv import build_cnv
from finnflow.sim.fifo_sizing import size_fifos
from finnflow.training import load_dataset
from finnflow.transforms import cleanup, convert_to_hw, split_dataflow, streamline
from finnflow.transforms.stitch import InsertDWC, InsertFIFO

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CONFIGS = ROOT / "build_configs" / "folding"
CLOCK_MHZ = 100.0
SIZING_FRAMES = 8
FINN_MVAU_WWIDTH_MAX = 36  # FINN SetFolding's default cap on an MVAU's SIMD x weight bits


def partitioned(network: str, precision: str):
    """The partitioned hardware graph of an untrained network: FC on MNIST-shaped input, CNV
    on CIFAR-10 images."""
    torch.manual_seed(0)
    if network == "CNV":
        net, shape = build_cnv(parse_precision(precision)), (3, 32, 32)
    else:
        net, shape = build_fc(784, 10, parse_precision(precision), network, None, 1.0, 8), 784
    net.eval()
    with tempfile.TemporaryDirectory() as d:
        model = export_qonnx(net, shape, Path(d) / "model.onnx")
    return split_dataflow(convert_to_hw(streamline(cleanup(model))))


def sized(folded, part, work: Path, network: str) -> tuple:
    """``folded`` with FIFOs sized from rtlsim on real test images, and the sizing report."""
    x = load_dataset("cifar10" if network == "CNV" else "mnist").x_test[:SIZING_FRAMES]
    pre = part.preprocess
    x_int = execute(pre, x)[pre.graph.output[0].name]
    return size_fifos(folded, x_int, work)


def greedy_best(model, board, counts: list[int], plan, wwidth_max: int | None) -> dict | None:
    """The fastest SetFolding design (``mvau_wwidth_max`` = ``wwidth_max``; targets over the
    cycle counts ``counts``) whose stitched estimate fits the board's budget under the rules
    of the optimizer's ``plan``: FIFOs costed as deep, and the same resources held back."""
    t0 = time.perf_counter()
    fifo_depth, io_cycles = plan.fifo_depth, plan.io_bound_cycles
    budget = {r: plan.budget[r] for r in RESOURCES}
    for target in counts:
        folded = model.transform(SetFolding(target, wwidth_max)).transform(InsertDWC())
        folded = folded.transform(InsertFIFO(fifo_depth))
        est = estimate_network(folded, CLOCK_MHZ, board)
        if all(est[r] <= budget[r] for r in RESOURCES):
            return {
                "cycles": est["max_cycles"],
                "fps": round(CLOCK_MHZ * 1e6 / max(est["max_cycles"], io_cycles), 1),
                "resources": {r: est[r] for r in RESOURCES},
                "seconds": round(time.perf_counter() - t0, 2),
            }
    return None


def run_case(
    network: str, precision: str, board_name: str, size_fifos_too: bool, work: Path
) -> dict:
    board = get_board(board_name)
    part = partitioned(network, precision)
    model = part.dataflow
    row = {"network": network, "precision": precision, "board": board.name}
    size = None
    if size_fifos_too:
        work_dir = work / f"{network}_{precision}_{board.name}"
        shutil.rmtree(work_dir, ignore_errors=True)  # the sizing time includes its build

        def size(folded):
            return sized(folded, part, work_dir, network)

    try:
        plan, folded, report = maximize_with_sizing(model, board, CLOCK_MHZ, size, print)
    except FoldingError as e:
        row["infeasible"] = str(e)
        return row
    est = estimate_network(folded, CLOCK_MHZ, board)
    assert est["max_cycles"] == plan.cycles
    if report is not None:
        row["fifo_sizing"] = report.to_dict()
    out = CONFIGS / board.name / f"{network.lower()}_{precision}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(folding_config(folded), indent=1) + "\n")
    row.update(plan.to_dict())
    row["resources_stitched"] = {r: est[r] for r in RESOURCES}
    row["fits_stitched"] = est["fits_board"]
    row["folding_json"] = str(out.relative_to(ROOT))
    counts = [c for c in FoldingSearch(model, board).cycle_counts() if c >= plan.io_bound_cycles]
    for key, cap in (("greedy", FINN_MVAU_WWIDTH_MAX), ("greedy_uncapped", None)):
        greedy = greedy_best(model, board, counts or [plan.io_bound_cycles], plan, cap)
        row[key] = greedy
        row[f"ratio_to_{key}"] = round(plan.fps / greedy["fps"], 3) if greedy else None
    return row


def _sizing(report: dict | None) -> str:
    if report is None:
        return "- | - | -"
    return (
        f"{report['bits_before']:,} -> {report['bits_after']:,} "
        f"| {report['cycles_per_frame']:g} | {report['seconds']:.0f}"
    )


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        "# Folding: optimizer vs greedy (FINN SetFolding) within the board's budget",
        "",
        f"`python bench/folding_bench.py`; {meta['clock_mhz']:g} MHz, budget = "
        f"{meta['usable']:.0%} of the device, resource model calibrated with "
        f"{meta['yosys']}; LUT and BRAM18 as shares of the budget, as planned (FIFOs "
        "costed one frame deep, or 2 words deep in rows whose FIFOs are sized, as the build "
        "does; a sized design that does not fit is planned again with one-frame FIFOs). The "
        "compute bound spends the LUT and DSP budgets on MAC lanes at each layer's cheapest "
        "costs per lane (`FoldingSearch.compute_bound_cycles`, a linear program); "
        "the lower bound is the lower of it and the I/O bound. Greedy: FINN's SetFolding "
        f"with FINN's defaults (an MVAU's SIMD x weight bits at most {FINN_MVAU_WWIDTH_MAX} "
        "before PE grows, `mvau_wwidth_max`); uncapped: the same walk with SIMD free up to "
        "the layer's width (finnflow's `target_fps` mode). Each at its fastest target whose "
        "design fits the same budget.",
        "",
        "| network | precision | board | FPS | cycles | LUT | BRAM18 | bound by | greedy FPS "
        "| x greedy | uncapped greedy FPS | x uncapped | of compute bound | of I/O bound "
        "| of lower bound | search s | FIFO bits: one frame -> sized | rtlsim cycles "
        "| sizing s |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        head = f"| {r['network']} | {r['precision']} | {r['board']} "
        if "infeasible" in r:
            lines.append(head + "| does not fit |" + " |" * 15)
            continue
        u = r["utilization"]
        greedy = "".join(
            f"| {r[k]['fps'] if r[k] else 0:,.0f} | {r.get(f'ratio_to_{k}') or '-'} "
            for k in ("greedy", "greedy_uncapped")
        )
        lines.append(
            head + f"| {r['fps']:,.0f} | {r['cycles']} | {u['lut']:.0%} | {u['bram18']:.0%} "
            f"| {r['binding']} {greedy}| {r['fraction_of_compute_bound']:.0%} "
            f"| {r['fraction_of_io_bound']:.0%} | {r['fraction_of_lower_bound']:.0%} "
            f"| {r['seconds']:.2f} | {_sizing(r.get('fifo_sizing'))} |"
        )
    infeasible = [r for r in rows if "infeasible" in r]
    if infeasible:
        lines += ["", "Designs that do not fit (the optimizer's error):", ""]
        lines += [
            f"- {r['network']} {r['precision']} on {r['board']}: {r['infeasible']}"
            for r in infeasible
        ]
    return "\n".join(lines) + "\n"


ORDER = {"network": ["TFC", "SFC", "LFC", "CNV"], "board": ["Pynq-Z1", "Ultra96"]}


def _order(row: dict) -> tuple:
    net, board = row["network"], row["board"]
    known = ORDER["network"].index(net) if net in ORDER["network"] else len(ORDER["network"])
    place = ORDER["board"].index(board) if board in ORDER["board"] else len(ORDER["board"])
    return known, net, row["precision"], place, board


def write(rows: list[dict], meta: dict, merge: bool) -> None:
    """Write the results files: ``rows`` and, with ``merge``, the file's rows they do not redo."""
    if merge and (RESULTS / "folding.json").is_file():
        done = {(r["network"], r["precision"], r["board"]) for r in rows}
        old = json.loads((RESULTS / "folding.json").read_text())["rows"]
        rows = [r for r in old if (r["network"], r["precision"], r["board"]) not in done] + rows
    rows = sorted(rows, key=_order)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "folding.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1) + "\n")
    (RESULTS / "folding.md").write_text(markdown(rows, meta))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--networks", default="TFC,SFC,LFC,CNV")
    ap.add_argument("--precisions", default="w1a1,w1a2,w2a2,w4a4")
    ap.add_argument("--boards", default="Pynq-Z1,Ultra96")
    ap.add_argument("--size-fifos", action="store_true", help="size FIFOs from rtlsim")
    ap.add_argument("--work", default="build/folding_bench", help="rtlsim work folder")
    ap.add_argument("--merge", action="store_true", help="keep the other rows of folding.json")
    args = ap.parse_args()
    meta = {
        "clock_mhz": CLOCK_MHZ,
        "usable": get_board("Pynq-Z1").usable,
        "yosys": calibrated_with(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    rows = []
    for network in args.networks.split(","):
        for precision in args.precisions.split(","):
            for board in args.boards.split(","):
                row = run_case(network, precision, board, args.size_fifos, Path(args.work))
                rows.append(row)
                print(
                    f"{network} {precision} {board}: "
                    + (
                        "does not fit"
                        if "infeasible" in row
                        else f"{row['fps']:,.0f} FPS ({row['binding']}), greedy "
                        f"{row['greedy']['fps'] if row['greedy'] else 0:,.0f}, uncapped "
                        f"{row['greedy_uncapped']['fps'] if row['greedy_uncapped'] else 0:,.0f}, "
                        f"{row['seconds']:.2f} s"
                    ),
                    flush=True,
                )
                write(rows, meta, args.merge)  # after every row: a long run keeps what it did
    print(f"wrote {RESULTS / 'folding.json'} and folding.md")


if __name__ == "__main__":
    main()
