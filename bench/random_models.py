"""Random-model benchmark: draw FC networks with the property test's strategy (tests/random_fc.py)
and build each through the whole flow with rtlsim, recording how many were tried and how many
were bit-exact at every stage.

    .venv/bin/python bench/random_models.py --models 500     # about 10 s per model on 2 cores

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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from random_fc import build_random_fc, random_fc  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def run(models: int, seed: int) -> list[dict]:
    rows: list[dict] = []

    @settings(
        max_examples=models,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=random_fc())
    def one(case):
        if any(r["case"] == asdict(case) for r in rows):
            return
        t0 = time.time()
        row = {"name": str(case), "case": asdict(case)}
        try:
            with tempfile.TemporaryDirectory(prefix="finnflow-random-") as tmp:
                summary = build_random_fc(case, Path(tmp))
            stages = summary["bit_exact"]
            row["bit_exact"] = all(stages.values()) and summary["rtlsim"]["bit_exact"]
            row["cycles_match"] = (
                summary["rtlsim"]["cycles_per_frame"] == summary["estimate"]["max_cycles"]
            )
            row["stages"] = {**stages, "rtlsim": summary["rtlsim"]["bit_exact"]}
        except Exception as e:  # a failure is recorded, the run goes on
            row["bit_exact"] = False
            row["error"] = "".join(traceback.format_exception_only(type(e), e)).strip()
        row["seconds"] = round(time.time() - t0, 2)
        rows.append(row)
        print(f"[{len(rows)}/{models}] {row['name']}: {'ok' if row['bit_exact'] else 'FAIL'}")

    from hypothesis import seed as hypothesis_seed

    hypothesis_seed(seed)(one)()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=500)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    t0 = time.time()
    rows = run(args.models, args.seed)
    passed = sum(r["bit_exact"] and r.get("cycles_match", False) for r in rows)
    report = {
        "tried": len(rows),
        "passed": passed,
        "failed": len(rows) - passed,
        "seed": args.seed,
        "seconds": round(time.time() - t0, 1),
        "models": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "random_models.json").write_text(json.dumps(report, indent=1) + "\n")
    lines = [
        "# Random FC models through the whole flow",
        "",
        f"{report['tried']} models tried, {passed} bit-exact at every stage and in rtlsim with "
        f"cycles per frame equal to the estimate, {report['failed']} failed "
        f"(seed {args.seed}, {report['seconds']} s).",
    ]
    failures = [r for r in rows if not (r["bit_exact"] and r.get("cycles_match", False))]
    if failures:
        lines += ["", "| model | failure |", "|---|---|"]
        lines += [f"| {r['name']} | {r.get('error', r.get('stages'))} |" for r in failures]
    (RESULTS / "random_models.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
