"""Convolutional networks in rtlsim: a reduced CNV (width 0.25) on real CIFAR-10 test images at
w1a1 and w2a2, and a padded, strided conv network on digits; the generated RTL's integer
outputs equal the Python execution bit for bit and its cycles per frame equal the estimate."""

import pytest
from conv_config import LAYERS, conv_config

from finnflow.build import run_build
from finnflow.config import BuildConfig, TrainConfig, validate

CIFAR_FRAMES = 20


def check_rtlsim(summary: dict, frames: int) -> None:
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    sim = summary["rtlsim"]
    assert sim["frames"] == frames and sim["bit_exact"] is True
    assert sim["cycles_per_frame"] == summary["estimate"]["max_cycles"]


@pytest.mark.slow
@pytest.mark.parametrize("precision, fifo_sizing", [("w1a1", False), ("w2a2", "auto")])
def test_reduced_cnv_on_cifar10(precision, fifo_sizing, cifar10_test, build_dir):
    """One epoch on CIFAR-10, folded for the PYNQ-Z1 by the optimizer, then 20 test images
    through the generated RTL."""
    cfg = validate(
        BuildConfig(
            name=f"cnv-quarter-{precision}",
            network="CNV",
            width=0.25,
            precision=precision,
            dataset="cifar10",
            train=TrainConfig(epochs=1, batch_size=256, threads=0),
            verify_samples=50,
            rtlsim=True,
            rtlsim_frames=CIFAR_FRAMES,
            fifo_sizing=fifo_sizing,
        )
    )
    summary = run_build(cfg, build_dir / cfg.name)
    check_rtlsim(summary, CIFAR_FRAMES)
    assert summary["test_accuracy"] > 0.2  # chance is 0.1
    assert summary["estimate"]["bottleneck"].startswith("ConvolutionInputGenerator")


def test_padded_strided_conv_on_digits(build_dir):
    cfg = conv_config("w2a2", 8, LAYERS, rtlsim=True, rtlsim_frames=30)
    summary = run_build(cfg, build_dir / cfg.name)
    check_rtlsim(summary, 30)
