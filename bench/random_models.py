"""Random-model benchmark: draw FC and conv networks with the property tests' strategies
(tests/random_nets.py) and build each through the whole flow with rtlsim (FIFOs sized from
simulation), recording how many were tried and how many were bit-exact at every stage and ran at
the estimated cycles per frame.

    .venv/bin/python bench/random_models.py --fc 500 --conv 100   # 5 to 20 s per model on 2 cores

Writes bench/results/random_models.json (every model: its draw, pass or the failure) and
random_models.md. A failure is a regression: add its draw as an ``@example`` to
tests/test_random_models.py."""

import argparse
import json
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


def build_one(kind: str, case) -> dict:
    """The row of one drawn model: bit-exact (True/False) or over the budget (None)."""
    t0 = time.time()
    row = {"kind": kind, "name": str(case), "case": asdict(case)}
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


def run(kind: str, models: int, seed: int) -> list[dict]:
    rows: list[dict] = []

    @settings(
        max_examples=models, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=KINDS[kind][0]())
    def one(case):
        if any(r["case"] == asdict(case) for r in rows):
            return
        row = build_one(kind, case)
        rows.append(row)
        status = {True: "ok", False: "FAIL", None: "over budget"}[row["bit_exact"]]
        if row["bit_exact"] and not row["cycles_match"]:
            status = f"SLOW ({row['cycles']} cycles/frame, estimate {row['estimate']})"
        print(f"[{kind} {len(rows)}/{models}] {row['name']}: {status} ({row['seconds']} s)")

    hypothesis_seed(seed)(one)()
    return rows


def tally(rows: list[dict], seconds: float) -> dict:
    built = [r for r in rows if r["bit_exact"] is not None]
    passed = [r for r in built if r["bit_exact"]]
    return {
        "tried": len(rows),
        "over_budget": len(rows) - len(built),
        "built": len(built),
        "bit_exact": len(passed),
        "failed": len(built) - len(passed),
        "slower_than_estimate": sum(not r["cycles_match"] for r in passed),
        "seconds": round(seconds, 1),
    }


def markdown(report: dict) -> str:
    lines = [
        "# Random models through the whole flow",
        "",
        f"Seed {report['seed']}, Verilator {report['verilator']}. Each model: random weights and "
        "batch-norm statistics, a random folding, exported through Brevitas, built with FIFOs "
        "sized from rtlsim, then every stage and rtlsim compared on 40 (stages) and 8 (rtlsim) "
        "digits.",
        "",
        "| kind | tried | over budget | built | bit-exact | failed | slower than estimate | "
        "seconds |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind in KINDS:
        if kind in report:
            t = report[kind]
            lines.append(
                f"| {kind} | {t['tried']} | {t['over_budget']} | {t['built']} | "
                f"{t['bit_exact']} | {t['failed']} | {t['slower_than_estimate']} | "
                f"{t['seconds']} |"
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
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    report: dict = {"seed": args.seed, "verilator": verilator_version()}
    models: list[dict] = []
    for kind, count in (("fc", args.fc), ("conv", args.conv)):
        if count:
            t0 = time.time()
            rows = run(kind, count, args.seed)
            report[kind] = tally(rows, time.time() - t0)
            models += rows
    report["models"] = models
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "random_models.json").write_text(json.dumps(report, indent=1) + "\n")
    text = markdown(report)
    (args.out / "random_models.md").write_text(text)
    print(text)
    return 1 if any(r["bit_exact"] is False for r in models) else 0


if __name__ == "__main__":
    sys.exit(main())
