"""Bit-exactness of every stage on real digits test images, for the precisions the flow supports."""

import pytest

from finnflow.build import run_build

PRECISIONS = [
    ("w1a1", 8),
    ("w1a1", 1),
    ("w2a2", 8),
    ("w4a4", 8),
    ("w8a8", 8),
    ("w2a4", 8),
    ("w4a2", 4),
    ("w2a1", 2),
]


@pytest.mark.parametrize("precision, input_bits", PRECISIONS)
def test_all_stages_bit_exact(precision, input_bits, build_dir, quick_config):
    # w8a8's 255 thresholds per neuron fill 288 BRAM18 at this rate: more than a Pynq-Z1 has
    board = "Ultra96" if precision == "w8a8" else "Pynq-Z1"
    cfg = quick_config(precision, input_bits, board=board)
    summary = run_build(cfg, build_dir / cfg.name)
    assert summary["verified_samples"] >= 200
    assert summary["bit_exact_reference"] == "brevitas"
    assert set(summary["bit_exact"]) == {"qonnx", "streamlined", "hw_layers", "partitioned"}
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    assert summary["float_recovery_error"] < 0.25
    assert summary["label_agreement"] == 1.0
