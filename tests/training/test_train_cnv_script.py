"""bench/train_cnv.py, the GPU training run of CNV w1a1 and w2a2, on the CPU at a small scale:
it writes compact checkpoints that rebuild the networks, and a second run resumes instead of
training again."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from finnflow.training import build_from_compact, predict

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "train_cnv.py"


def test_train_cnv_script_writes_compact_checkpoints_and_resumes(
    shared_cifar10, data_cache, cifar10_test, tmp_path
):
    out = tmp_path / "out"
    cmd = [sys.executable, str(SCRIPT), "--out", str(out), "--data-dir", str(shared_cifar10)]
    cmd += ["--epochs", "1", "--width", "0.125", "--train-samples", "512", "--test-samples", "200"]
    env = {**os.environ, "FINNFLOW_DATA_CACHE": str(data_cache)}
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    for precision in ("w1a1", "w2a2"):
        name = f"cnv_{precision}_cifar10"
        assert f"{name}: epoch 1/1: loss" in first.stdout
        metrics = json.loads((out / name / "metrics.json").read_text())
        net, meta = build_from_compact(out / name / f"{name}.npz")
        assert meta["precision"] == precision and meta["width"] == 0.125
        assert meta["test_accuracy"] == metrics["test_accuracy"]
        x = cifar10_test[0][:200].reshape(200, -1).astype(np.float32) / 255
        labels = predict(net, x).argmax(axis=1)
        assert np.mean(labels == cifar10_test[1][:200]) == metrics["test_accuracy"]
    again = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("resuming after epoch 1/1") == 2
    assert "epoch 1/1: loss" not in again.stdout
