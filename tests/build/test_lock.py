"""Two builds of one folder at once: the second is refused with a one-line error while the first
runs, and the first completes untouched."""

import json
import subprocess
import sys
import time

from fc_config import write_config

from finnflow.build.folder import LOCK_FILE
from finnflow.cli import main


def test_second_build_of_a_folder_is_refused(tmp_path, capsys, verilator_tool):
    cfg = write_config(
        tmp_path / "fc.yaml",
        name="fc",
        train={"epochs": 3},
        verify_samples=50,
        rtlsim=True,
        rtlsim_frames=8,
    )
    out = tmp_path / "build"
    first = subprocess.Popen(
        [sys.executable, "-m", "finnflow.cli", "build", str(cfg), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lock = out / LOCK_FILE
    deadline = time.time() + 60
    while not (lock.is_file() and lock.read_text().startswith("pid")):
        assert first.poll() is None and time.time() < deadline, "the first build never started"
        time.sleep(0.05)

    assert main(["build", str(cfg), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert f"in use by another build (pid {first.pid})" in err and "--out" in err
    assert first.poll() is None, "the first build ended before the second was refused"

    log, _ = first.communicate(timeout=600)
    assert first.returncode == 0, log
    summary = json.loads((out / "summary.json").read_text())
    assert summary["bit_exact"] and summary["rtlsim"]["bit_exact"]
    assert lock.read_text() == "", "the lock names no holder once the build ends"

    # the folder is whole: a third build finds every step complete and re-runs none
    assert main(["build", str(cfg), "--out", str(out)]) == 0
    steps = [line for line in capsys.readouterr().out.splitlines() if "] step " in line]
    assert steps and all(line.endswith("complete, skipped") for line in steps), steps
