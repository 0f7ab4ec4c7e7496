"""TFC w2a2 trained on the 10k MNIST subset reaches >= 0.93 on the official MNIST test set."""

import pytest

from finnflow.build import run_build
from finnflow.config import load_config


@pytest.mark.slow
def test_tfc_w2a2_mnist(tmp_path, shared_mnist):
    cfg = load_config("build_configs/tfc_w2a2_mnist.yaml")
    cfg.data_dir = str(shared_mnist)
    summary = run_build(cfg, tmp_path / "mnist")
    assert summary["test_accuracy"] >= 0.93
    assert all(summary["bit_exact"].values()) and summary["verified_samples"] >= 200
