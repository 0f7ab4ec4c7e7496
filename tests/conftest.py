"""Shared fixtures: real data (scikit-learn digits), small trained builds made once per run."""

import warnings
from pathlib import Path

import pytest

from finnflow.config import BuildConfig, TrainConfig, validate

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"

warnings.filterwarnings("ignore")


@pytest.fixture(scope="session")
def digits():
    from finnflow.training import load_dataset

    return load_dataset("digits")


def make_quick_config(precision: str, input_bits: int = 8, epochs: int = 4, **kw) -> BuildConfig:
    """A small TFC-shaped build on digits (hidden 64-32), trained for a few epochs."""
    return validate(
        BuildConfig(
            name=f"test-{precision}-i{input_bits}",
            network="FC",
            hidden=kw.pop("hidden", [64, 32]),
            precision=precision,
            input_bits=input_bits,
            dataset="digits",
            train=TrainConfig(epochs=epochs),
            verify_samples=kw.pop("verify_samples", 300),
            rtlsim=kw.pop("rtlsim", False),
            **kw,
        )
    )


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("builds")


@pytest.fixture(scope="session")
def quick_config():
    """Factory of small digits builds: ``quick_config("w2a2", input_bits=8, epochs=4, ...)``."""
    return make_quick_config


@pytest.fixture(scope="session")
def shared_mnist():
    if not SHARED_MNIST.is_dir():
        pytest.skip("shared MNIST files not present")
    return SHARED_MNIST
