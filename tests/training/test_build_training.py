"""The build's train and export steps for convolutional networks, and a build killed right after
an epoch checkpoint that resumes at the next epoch and ends with the uninterrupted weights."""

import subprocess
import sys

import pytest
import torch
from fc_config import write_config

from finnflow.build import run_build
from finnflow.build.steps import TRAIN_STATE
from finnflow.config import load_config
from finnflow.export import load_model

# Runs the CLI and dies by SIGKILL right after the first epoch checkpoint is renamed into place.
KILL_AFTER_EPOCH_CHECKPOINT = f"""
import os, signal, sys
from pathlib import Path
import finnflow.files as files
from finnflow.cli import main

commit = files._commit

def commit_then_die(tmp, path):
    commit(tmp, path)
    if Path(path).name == {TRAIN_STATE!r}:
        os.kill(os.getpid(), signal.SIGKILL)

files._commit = commit_then_die
sys.exit(main())
"""


def _state_dict(path):
    return torch.load(path, weights_only=True)["state_dict"]


def test_conv_network_trains_and_exports_nchw(tmp_path):
    layers = [{"conv": 8, "padding": 1}, {"maxpool": 2}, {"conv": 16, "stride": 2}]
    cfg = load_config(
        write_config(tmp_path / "conv.yaml", network="conv", layers=layers, hidden=[16])
    )
    out = tmp_path / "out"
    summary = run_build(cfg, out, stop_step="export")
    assert summary["steps_completed"] == ["train", "export"] and summary["test_accuracy"] > 0.2
    model = load_model(out / "qonnx.onnx")
    assert model.get_tensor_shape(model.graph.input[0].name) == [1, 1, 8, 8]
    assert [n.op_type for n in model.graph.node].count("Conv") == 2
    assert (out / "checkpoint.pt").is_file() and not (out / TRAIN_STATE).exists()


@pytest.fixture
def two_epoch_config(tmp_path):
    return write_config(tmp_path / "fc.yaml", train={"epochs": 2})


def test_killed_build_resumes_at_the_next_epoch(two_epoch_config, tmp_path):
    def cmd(out):
        return ["build", str(two_epoch_config), "--out", str(out), "--stop-step", "train"]

    reference, out = tmp_path / "reference", tmp_path / "killed"
    cli = [sys.executable, "-m", "finnflow.cli"]
    # in a process of its own like the others: torch's state in this one depends on earlier tests
    done = subprocess.run([*cli, *cmd(reference)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_EPOCH_CHECKPOINT, *cmd(out)],
        capture_output=True,
        text=True,
    )
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert "epoch 1/2" not in killed.stdout  # died after the checkpoint, before the epoch's log
    assert (out / TRAIN_STATE).is_file() and not (out / "checkpoint.pt").exists()
    resumed = subprocess.run([*cli, *cmd(out)], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"resuming after epoch 1/2 from {out / TRAIN_STATE}" in resumed.stdout
    assert "epoch 1/2:" not in resumed.stdout and "epoch 2/2:" in resumed.stdout
    assert not (out / TRAIN_STATE).exists()
    expected = _state_dict(reference / "checkpoint.pt")
    got = _state_dict(out / "checkpoint.pt")
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[k], got[k]) for k in expected)
