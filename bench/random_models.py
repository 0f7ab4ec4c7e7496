"""Random-model benchmark: draw FC and conv networks with the property tests' strategies
(tests/random_nets.py) and build each through the whole flow with rtlsim (FIFOs sized from
simulation), recording how many were tried and how many were bit-exact at every stage and ran at
the estimated cycles per frame.

    .venv/bin/python bench/random_models.py --fc 500 --conv 100 [--jobs 2]

About 5 to 20 s per model and core. The draws are made first (hypothesis, seeded), then built
by ``--jobs`` worker processes; each finished model is appended to ``WORK/rows.jsonl`` at once,
so running the same command again after an interruption builds only the models still missing.
Writes bench/results/random_models.json (every model: its draw, pass or the failure) and
random_models.md. A failure is a regression: add its draw as an ``@example`` to
tests/test_random_models.py."""

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import asdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from random_nets import build_random_conv, build_random_fc, random_conv, random_fc  # noqa: E402

from finnflow.errors import ConfigError  # noqa: E402
from finnflow.tools import verilator_version  # noqa: E402

RESULTS = ROOT / "bench" / "results"
KINDS = {"fc": (random_fc, build_random_fc), "conv": (random_conv, build_random_conv)}


def build_one(kind: str, case, rev: str) -> dict:
    """The row of one drawn model: bit-exact (True/False) or over the budget (None)."""
    t0 = time.time()
    row = {"kind": kind, "name": str(case), "case": asdict(case), "revision": rev}
    try:
        with tempfile.TemporaryDirectory(prefix="finnflow-random-") as tmp:
            summary = KINDS[kind][1](case, Path(tmp))
        stages = {**summary["bit_exact"], "rtlsim": summary["rtlsim"]["bit_exact"]}
        row["bit_exact"] = all(stages.values())
        row["cycles"] = summary["rtlsim"]["cycles_per_frame"]
        row["estimate"] = summary["estimate"]["max_cycles"]
        row["cycles_match"] = row["cycles"] == row["estimate"]
        row["stages"] = stages
        row["folding"] = {
            name: attrs
            for name, attrs in summary["folding"].items()
            if name != "Defaults" and not name.startswith(("StreamingFIFO", "StreamingData"))
        }
    except ConfigError as e:
        if "does not fit" not in str(e):
            raise
        row["bit_exact"] = None  # over the board's budget: refused by design, not built
        row["error"] = str(e)
    except Exception as e:  # a failure is recorded, the run goes on
        row["bit_exact"] = False
        row["error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
    row["seconds"] = round(time.time() - t0, 2)
    return row


def draw(kind: str, models: int, seed: int) -> list:
    """The first ``models`` distinct draws of the kind's strategy under ``seed``."""
    cases: list = []

    @settings(
        max_examples=models, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=KINDS[kind][0]())
    def collect(case):
        if case not in cases:
            cases.append(case)

    hypothesis_seed(seed)(collect)()
    return cases


def revision() -> str:
    """The last git commit of the flow's code (src/ and the strategies; ``+dirty`` when the
    working tree differs from it): a resumed run reuses only the models built by the same code."""
    git, paths = ["git", "-C", str(ROOT)], ["--", "src", "tests/random_nets.py"]
    try:
        head = subprocess.run([*git, "log", "-1", "--format=%h", *paths], capture_output=True)
        dirty = subprocess.run([*git, "status", "--porcelain", *paths], capture_output=True)
    except OSError:
        return "unknown"
    if head.returncode:
        return "unknown"
    return head.stdout.decode().strip() + ("+dirty" if dirty.stdout.strip() else "")


def _key(kind: str, case: dict, rev: str) -> str:
    return json.dumps([kind, case, rev], sort_keys=True)


def _worker_init() -> None:
    import torch

    torch.set_num_threads(1)  # the workers share the cores


def _build(job: tuple) -> dict:
    return build_one(*job)


def run(jobs: list[tuple], work: Path, processes: int, rev: str) -> dict[str, dict]:
    """Build every (kind, case) of ``jobs`` not yet in ``work/rows.jsonl`` from revision
    ``rev``, appending each row as it finishes; all rows of ``jobs`` by key."""
    work.mkdir(parents=True, exist_ok=True)
    rows_file = work / "rows.jsonl"
    rows = {}
    if rows_file.is_file():
        for line in rows_file.read_text().splitlines():
            row = json.loads(line)
            rows[_key(row["kind"], row["case"], row.get("revision"))] = row
    todo = [(k, c, rev) for k, c in jobs if _key(k, asdict(c), rev) not in rows]
    print(f"{len(jobs) - len(todo)} of {len(jobs)} models built by {rev} already in {rows_file}")
    with (
        multiprocessing.get_context("spawn").Pool(processes, _worker_init) as pool,
        rows_file.open("a") as out,
    ):
        for n, row in enumerate(pool.imap_unordered(_build, todo), 1):
            out.write(json.dumps(row) + "\n")
            out.flush()
            rows[_key(row["kind"], row["case"], rev)] = row
            status = {True: "ok", False: "FAIL", None: "over budget"}[row["bit_exact"]]
            if row["bit_exact"] and not row["cycles_match"]:
                status = f"SLOW ({row['cycles']} cycles/frame, estimate {row['estimate']})"
            print(f"[{n}/{len(todo)}] {row['name']}: {status} ({row['seconds']} s)", flush=True)
    return rows


def tally(rows: list[dict]) -> dict:
    built = [r for r in rows if r["bit_exact"] is not None]
    passed = [r for r in built if r["bit_exact"]]
    return {
        "tried": len(rows),
        "over_budget": len(rows) - len(built),
        "built": len(built),
        "bit_exact": len(passed),
        "failed": len(built) - len(passed),
        "slower_than_estimate": sum(not r["cycles_match"] for r in passed),
        "build_seconds": round(sum(r["seconds"] for r in rows), 1),
    }


def markdown(report: dict) -> str:
    lines = [
        "# Random models through the whole flow",
        "",
        f"Revision {report['revision']}, seed {report['seed']}, {report['verilator']}, "
        f"{report['jobs']} worker processes, {report['wall_seconds']} s wall. Each model: "
        "random weights and batch-norm statistics, a random folding, exported through "
        "Brevitas, built with FIFOs sized from rtlsim, then every stage and rtlsim compared on "
        "40 (stages) and 8 (rtlsim) digits.",
        "",
        "| kind | tried | over budget | built | bit-exact | failed | slower than estimate | "
        "build seconds (sum) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        if kind in report:
            t = report[kind]
            lines.append(
                f"| {kind} | {t['tried']} | {t['over_budget']} | {t['built']} | "
                f"{t['bit_exact']} | {t['failed']} | {t['slower_than_estimate']} | "
                f"{t['build_seconds']} |"
            )
    findings = [
        r
        for r in report["models"]
        if r["bit_exact"] is False or (r["bit_exact"] and not r["cycles_match"])
    ]
    if findings:
        lines += ["", "| model | finding |", "|---|---|"]
        for r in findings:
            what = r.get("error") or (
                f"rtlsim {r['cycles']} cycles/frame, estimate {r['estimate']}"
                if all(r["stages"].values())
                else f"stages {r['stages']}"
            )
            lines.append(f"| {r['name']} | {what} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fc", type=int, default=500, help="FC models to draw")
    ap.add_argument("--conv", type=int, default=100, help="conv models to draw")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    ap.add_argument("--work", type=Path, default=ROOT / "build" / "random_models")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    t0 = time.time()
    draws = {kind: draw(kind, n, args.seed) for kind, n in (("fc", args.fc), ("conv", args.conv))}
    jobs = [(kind, case) for kind, cases in draws.items() for case in cases]
    rev = revision()
    rows = run(jobs, args.work, args.jobs, rev)
    report: dict = {
        "revision": rev,
        "seed": args.seed,
        "verilator": verilator_version(),
        "jobs": args.jobs,
        "wall_seconds": round(time.time() - t0, 1),
    }
    models = []
    for kind, cases in draws.items():
        kind_rows = [rows[_key(kind, asdict(c), rev)] for c in cases]
        if kind_rows:
            report[kind] = tally(kind_rows)
        models += kind_rows
    report["models"] = models
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "random_models.json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    (args.out / "random_models.md").write_text(text)
    print(text)
    return 1 if any(r["bit_exact"] is False for r in models) else 0


if __name__ == "__main__":
    sys.exit(main())
