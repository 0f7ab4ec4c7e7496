"""Convolutional networks in rtlsim: a reduced CNV (width 0.25) on real CIFAR-10 test images at
w1a1 and w2a2, and a padded, strided conv network on digits, also under random input and output
stalls; the generated RTL's integer outputs equal the Python execution bit for bit and its
cycles per frame equal the estimate."""

import pytest
import torch
from conv_config import LAYERS, conv_config
from stalls import check_under_stalls

from finnflow.build import run_build
from finnflow.build.steps import Build, dataflow_inputs
from finnflow.config import BuildConfig, validate
from finnflow.networks import parse_precision
from finnflow.networks.cnv import build_cnv
from finnflow.training import load_dataset, save_checkpoint, train

CIFAR_FRAMES = 20


def check_rtlsim(summary: dict, frames: int) -> None:
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    sim = summary["rtlsim"]
    assert sim["frames"] == frames and sim["bit_exact"] is True
    assert sim["cycles_per_frame"] == summary["estimate"]["max_cycles"]


@pytest.fixture(scope="module")
def cifar10(shared_cifar10):
    return load_dataset("cifar10", str(shared_cifar10))


@pytest.mark.slow
@pytest.mark.parametrize("precision, fifo_sizing", [("w1a1", True), ("w2a2", False)])
def test_reduced_cnv_on_cifar10(precision, fifo_sizing, cifar10, shared_cifar10, build_dir):
    """CNV at width 0.25 trained for one epoch on 10,000 CIFAR-10 training images, folded for
    the PYNQ-Z1 by the optimizer, then 20 test images through the generated RTL: with FIFOs
    sized from rtlsim (w1a1) or one frame deep (w2a2)."""
    torch.manual_seed(0)
    net = build_cnv(parse_precision(precision), width=0.25)
    train(net, cifar10.subset(10000, 500), epochs=1, batch_size=128, progress=False, threads=0)
    checkpoint = build_dir / f"cnv-quarter-{precision}.pt"
    save_checkpoint(net, checkpoint, {"precision": precision})
    cfg = validate(
        BuildConfig(
            name=f"cnv-quarter-{precision}",
            network="CNV",
            width=0.25,
            precision=precision,
            dataset="cifar10",
            data_dir=str(shared_cifar10),
            checkpoint=str(checkpoint),
            verify_samples=50,
            rtlsim=True,
            rtlsim_frames=CIFAR_FRAMES,
            fifo_sizing=fifo_sizing,
        )
    )
    summary = run_build(cfg, build_dir / cfg.name)
    check_rtlsim(summary, CIFAR_FRAMES)
    if fifo_sizing:
        sizing = summary["fifo_sizing"]
        assert sizing["cycles_per_frame"] == sizing["expected_cycles"]
        assert sizing["bits_after"] < sizing["bits_before"]
    assert summary["test_accuracy"] > 0.15  # chance is 0.1
    assert summary["estimate"]["bottleneck"].startswith("ConvolutionInputGenerator")


@pytest.fixture(scope="module")
def padded_conv(build_dir):
    """The padded, strided conv network on digits, built with rtlsim on 30 frames and FIFOs sized
    from rtlsim (the default when rtlsim runs); its config and summary."""
    cfg = conv_config("w2a2", 8, LAYERS, rtlsim=True, rtlsim_frames=30)
    return cfg, run_build(cfg, build_dir / cfg.name)


def test_padded_strided_conv_on_digits(padded_conv):
    _, summary = padded_conv
    check_rtlsim(summary, 30)
    sizing = summary["fifo_sizing"]
    assert sizing["cycles_per_frame"] == sizing["expected_cycles"]
    assert sizing["bits_after"] < sizing["bits_before"]


@pytest.mark.parametrize("seed, bubble, backpressure", [(1, 0.3, 0.5), (2, 0.0, 0.9)])
def test_stitched_conv_under_stalls(padded_conv, build_dir, seed, bubble, backpressure):
    """The built conv design (window generators, padding, sized FIFOs) with random gaps in the
    input's tvalid and the output's tready: every frame comes out once and in order, equal to
    the free-running run and to the Python execution; once the gaps stop, frames leave at the
    estimated rate again."""
    cfg, _ = padded_conv
    b = Build(cfg, build_dir / cfg.name)
    x, _ = dataflow_inputs(b, 12)
    check_under_stalls(b.folded, x, build_dir / "conv-stalls", seed, bubble, backpressure)
