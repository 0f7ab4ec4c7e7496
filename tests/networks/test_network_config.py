"""The config's network fields: CNV with a width, the conv family with `layers`, and one-line
errors that say what is wrong and how to fix it."""

import pytest
import torch
import yaml

from finnflow.config import from_dict, load_config
from finnflow.errors import ConfigError
from finnflow.networks import build_network, parse_precision

CONV_YAML = """
network: conv
layers:
  - {conv: 16, padding: 1}
  - {conv: 32, stride: 2, padding: 1}
  - {maxpool: 2}
hidden: [32]
precision: w2a2
dataset: digits
"""


def test_conv_config_from_yaml(tmp_path):
    path = tmp_path / "conv.yaml"
    path.write_text(CONV_YAML)
    cfg = load_config(path)
    assert cfg.layers[1] == {"conv": 32, "stride": 2, "padding": 1} and cfg.hidden == [32]
    net = build_network(cfg.network, (1, 8, 8), 10, parse_precision(cfg.precision), cfg.hidden,
                        cfg.layers, cfg.width, cfg.input_bits)  # fmt: skip
    assert net.input_shape == (1, 8, 8)
    assert yaml.safe_load(yaml.safe_dump(cfg.to_dict()))["layers"] == cfg.layers


def test_cnv_config():
    cfg = from_dict({"network": "cnv", "width": 0.25, "precision": "w1a1", "dataset": "cifar10"})
    assert cfg.augmentation() and cfg.train.device == "auto"
    net = build_network(cfg.network, (3, 32, 32), 10, parse_precision("w1a1"), width=cfg.width)
    convs = [m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m.out_features for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert convs == [16, 16, 32, 32, 64, 64] and linears == [128, 128, 10]
    assert from_dict({"network": "TFC", "dataset": "digits"}).augmentation() is False
    aug = {"network": "CNV", "dataset": "CIFAR-10", "train": {"augment": False}}
    assert from_dict(aug).augmentation() is False


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"network": "VGG"}, "network='VGG': choose one of TFC, SFC, LFC, FC with `hidden"),
        ({"network": "conv"}, "network=conv needs `layers`, for example layers: "),
        (
            {"network": "CNV", "hidden": [64]},
            "CNV's fully-connected sizes are fixed ([512, 512], scaled by `width`): remove",
        ),
        (
            {"network": "CNV", "layers": [{"conv": 8}]},
            "`layers` describes network: conv, not network='CNV': remove it, or set",
        ),
        ({"network": "TFC", "layers": [{"conv": 8}]}, "`layers` describes network: conv"),
        ({"network": "conv", "layers": "conv 16"}, "layers='conv 16' must be a non-empty list"),
        ({"network": "conv", "layers": [{"conv": 8, "pad": 1}]}, "layers[0]: unknown key(s)"),
        (
            {"network": "CNV", "dataset": "digits"},
            "CNV does not fit 8x8 images: its layers[3] (conv 128, kernel 3, stride 1, padding 0)"
            " gets a 2x2 input",
        ),
        (
            {
                "network": "conv",
                "layers": [{"conv": 8, "padding": 1}],
                "precision": "w2a2",
                "input_bits": 1,
            },
            "layers[0] (conv 8, kernel 3, stride 1, padding 1) pads the 1-bit input",
        ),  # fmt: skip
        (
            {
                "network": "conv",
                "layers": [{"conv": 8}, {"conv": 8, "padding": 1}],
                "precision": "w1a1",
            },
            "layers[1] (conv 8, kernel 3, stride 1, padding 1) pads the bipolar output of "
            "layers[0] (a1)",
        ),  # fmt: skip
        ({"network": "CNV", "dataset": "cifar100"}, "dataset='cifar100': choose one of digits"),
        ({"network": "CNV", "train": {"augment": "yes"}}, "train.augment='yes': use true"),
        ({"network": "CNV", "train": {"device": "tpu"}}, "train.device='tpu': use auto"),
        ({"network": "conv", "hidden": [True]}, "hidden=[True] must be a list of positive"),
    ],
)
def test_config_errors(fields, message):
    data = {"dataset": "cifar10", "precision": "w2a2", **fields}
    with pytest.raises(ConfigError) as e:
        from_dict(data)
    assert message in str(e.value)
    assert "\n" not in str(e.value)
