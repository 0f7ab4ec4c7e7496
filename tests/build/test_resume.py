"""Resumable builds: a build killed (SIGKILL) during each step in turn and started again ends
with the summary of an uninterrupted build, and never re-runs a completed step; partial builds
with --start-step / --stop-step; a changed config re-runs exactly the steps it affects."""

import json
import subprocess
import sys

import pytest
from fc_config import write_config

from finnflow.build import STEPS, TIMING_KEYS, active_steps, run_build
from finnflow.cli import main
from finnflow.config import load_config

# Runs the CLI with the step named in argv[1] dying by SIGKILL: at its first file commit (after
# the temporary file is written, before the rename), or, for a step that writes no file, after it
# ran but before the build recorded it.
KILLER = """
import os, signal, sys
from dataclasses import replace
import finnflow.build.run as run
import finnflow.files as files
from finnflow.cli import main

def die(*args):
    os.kill(os.getpid(), signal.SIGKILL)

def wrap(step):
    def run_then_die(b):
        files._commit = die
        step.run(b)
        die()
    return replace(step, run=run_then_die)

target = sys.argv.pop(1)
run.STEPS = tuple(wrap(s) if s.name == target else s for s in run.STEPS)
sys.exit(main())
"""

TIMINGS = ("verilator_build_seconds", "sim_seconds")


def comparable(summary: dict) -> dict:
    out = {k: v for k, v in summary.items() if k not in TIMING_KEYS}
    out["rtlsim"] = {k: v for k, v in out["rtlsim"].items() if k not in TIMINGS}
    return out


def outputs_state(out):
    """Modification times of every finished file of the build folder."""
    return {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file()
        and not p.name.startswith(".")
        and "verilator" not in p.parts
        and p.name not in ("build_state.json", "config.yaml")
    }


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    return write_config(
        tmp_path_factory.mktemp("resume") / "tiny.yaml",
        train={"epochs": 2},
        verify_samples=50,
        rtlsim=True,
        rtlsim_frames=8,
    )


@pytest.fixture(scope="module")
def reference(config_file, tmp_path_factory, verilator_tool):
    """An uninterrupted build of the same config."""
    out = tmp_path_factory.mktemp("reference")
    return run_build(load_config(config_file), out), out


@pytest.mark.slow
def test_killed_in_each_step_resumes_to_the_same_summary(config_file, reference, tmp_path):
    out = tmp_path / "killed"
    names = [s.name for s in active_steps(load_config(config_file))]
    for k, name in enumerate(names):
        before = outputs_state(out) if out.exists() else {}
        proc = subprocess.run(
            [sys.executable, "-c", KILLER, name, "build", str(config_file), "--out", str(out)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == -9, proc.stderr[-3000:]
        log = proc.stdout
        # the step killed in the previous run runs again; those before it are skipped
        for done in names[: max(k - 1, 0)]:
            assert f"{done}: complete, skipped" in log, (name, log)
        assert log.count("complete, skipped") == max(k - 1, 0)
        assert f"step {k + 1}/{len(names)} {name}\n" in log
        state_file = out / "build_state.json"
        state = json.loads(state_file.read_text())["steps"] if state_file.exists() else {}
        assert list(state) == names[:k], "a killed step must not be recorded"
        after = outputs_state(out)
        assert all(after[f] == t for f, t in before.items() if f in after), "rewritten"
    proc = subprocess.run(
        [sys.executable, "-m", "finnflow.cli", "build", str(config_file), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("complete, skipped") == len(names) - 1
    assert f"step {len(names)}/{len(names)} {names[-1]}\n" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert comparable(summary) == comparable(reference[0])
    assert summary["rtlsim"]["bit_exact"] and all(summary["bit_exact"].values())


def test_stop_and_start_step(config_file, reference, tmp_path, capsys):
    out = tmp_path / "partial"
    assert main(["build", str(config_file), "--out", str(out), "--stop-step", "estimate"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps_completed"][-1] == "estimate" and "rtlsim" not in summary
    assert not (out / "rtl").exists()
    capsys.readouterr()
    assert main(["build", str(config_file), "--out", str(out), "--start-step", "estimate"]) == 0
    log = capsys.readouterr().out
    assert "fold: complete, skipped" in log and "step 6/10 estimate\n" in log
    summary = json.loads((out / "summary.json").read_text())
    assert comparable(summary) == comparable(reference[0])


def test_start_step_needs_earlier_steps(config_file, tmp_path, capsys):
    out = tmp_path / "fresh"
    assert main(["build", str(config_file), "--out", str(out), "--start-step", "fold"]) == 2
    err = capsys.readouterr().err
    assert "cannot start at step 'fold': step 'train' has not completed" in err
    assert main(["build", str(config_file), "--out", str(out), "--stop-step", "bogus"]) == 2
    assert "--stop-step='bogus': this build's steps are train, export" in capsys.readouterr().err


def test_changed_config_reruns_the_steps_it_affects(config_file, reference, capsys):
    _, out = reference
    cfg = load_config(config_file)
    cfg.target_fps = 2 * (cfg.target_fps or 100000)
    capsys.readouterr()
    run_build(cfg, out, stop_step="estimate")
    log = capsys.readouterr().out
    for skipped in ("train", "export", "transform", "partition"):
        assert f"{skipped}: complete, skipped" in log
    assert "step 5/10 fold\n" in log and "step 6/10 estimate\n" in log


def test_every_step_reads_what_an_earlier_step_wrote():
    written = set()
    for step in STEPS:
        assert set(step.reads) <= written, f"{step.name} reads an artifact no earlier step writes"
        written |= set(step.writes)
