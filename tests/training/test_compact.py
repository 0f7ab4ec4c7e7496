"""Compact checkpoints: a trained CNV stored as packed integer weights reproduces the network's
outputs bit for bit on real CIFAR-10 images, full-width CNV fits well under 2 MB, and the file
is data only (no pickle), refused when it belongs to another network."""

from pathlib import Path

import numpy as np
import pytest
import torch

from finnflow.errors import ConfigError
from finnflow.networks import build_cnv, parse_precision
from finnflow.training import (
    Dataset,
    build_from_compact,
    load_checkpoint,
    predict,
    read_compact_meta,
    save_compact,
    train,
)


def _meta(precision: str, width: float) -> dict:
    return {
        "network": "CNV",
        "precision": precision,
        "width": width,
        "input_shape": [3, 32, 32],
        "num_classes": 10,
        "dataset": "cifar10",
    }


@pytest.fixture(scope="module", params=["w1a1", "w2a2"])
def trained(request, cifar10_small):
    """CNV at width 0.125 after one epoch on 1,000 real images."""
    data = cifar10_small
    small = Dataset(data.name, data.x_train[:1000], data.y_train[:1000], data.x_test[:200],
                    data.y_test[:200], data.image_shape)  # fmt: skip
    torch.manual_seed(0)
    net = build_cnv(parse_precision(request.param), 0.125)
    train(net, small, epochs=1, progress=False, augment=True)
    return request.param, net


def test_compact_roundtrip_is_bit_exact(trained, cifar10_small, tmp_path):
    precision, net = trained
    path = save_compact(net, tmp_path / "cnv.npz", _meta(precision, 0.125))
    loaded, meta = build_from_compact(path)
    assert meta == _meta(precision, 0.125) == read_compact_meta(path)
    x = cifar10_small.x_test
    assert np.array_equal(predict(net, x), predict(loaded, x))
    assert np.array_equal(predict(net, x[:200], exact=True), predict(loaded, x[:200], exact=True))
    other = build_cnv(parse_precision(precision), 0.125)
    load_checkpoint(other, path)  # a .npz checkpoint, as a build's `checkpoint:` loads it
    assert np.array_equal(predict(net, x), predict(other, x))


@pytest.mark.parametrize("precision, bits", [("w1a1", 1), ("w2a2", 2)])
def test_full_width_cnv_is_small(precision, bits, cifar10_small, tmp_path):
    torch.manual_seed(0)
    net = build_cnv(parse_precision(precision))
    net.train()
    net(torch.from_numpy(cifar10_small.x_train[:64]))  # batch-norm statistics of real images
    path = save_compact(net, tmp_path / f"cnv_{precision}.npz", _meta(precision, 1.0))
    size = path.stat().st_size
    packed_weights = 1_542_848 * bits / 8  # packed, before the archive's compression
    float_params = 4 * 4 * (2 * (64 + 128 + 256) + 2 * 512)  # batch norm: 4 float32 per channel
    assert size < packed_weights + 2 * float_params < 2_000_000
    loaded, _ = build_from_compact(path)
    x = cifar10_small.x_test[:64]
    assert np.array_equal(predict(net, x), predict(loaded, x))


def test_other_network_is_refused(trained, tmp_path):
    precision, net = trained
    path = save_compact(net, tmp_path / "cnv.npz", _meta(precision, 0.125))
    with pytest.raises(ConfigError, match="does not fit the configured network"):
        load_checkpoint(build_cnv(parse_precision(precision), 0.25), path)
    other = "w2a2" if precision == "w1a1" else "w1a1"
    with pytest.raises(ConfigError, match=f"checkpoint {path}"):
        load_checkpoint(build_cnv(parse_precision(other), 0.125), path)


class _Payload:
    """Unpickling this object would create the marker file: it stands for code in a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_compact_checkpoint_with_code_is_refused_unrun(tmp_path):
    marker = tmp_path / "code-ran"
    path = tmp_path / "evil.npz"
    with open(path, "wb") as f:
        np.savez(f, header=np.array([_Payload(marker)], dtype=object))
    with pytest.raises(ConfigError, match="not a finnflow compact checkpoint"):
        load_checkpoint(build_cnv(parse_precision("w1a1"), 0.125), path)
    assert not marker.exists(), "the checkpoint's code ran"
    path.write_bytes(b"PK not a zip")
    with pytest.raises(ConfigError, match="not a finnflow compact checkpoint"):
        read_compact_meta(path)
