"""The configurable convolutional family: a padded, strided network learns the 8x8 digits and
exports with its padding and strides; padding a bipolar tensor is refused; layer specs are
checked with errors naming the layer."""

import pytest
import torch

from finnflow.errors import ConfigError
from finnflow.export import export_qonnx
from finnflow.networks import Conv, MaxPool, build_conv, parse_layers, parse_precision
from finnflow.training import train

DIGITS_LAYERS = [
    {"conv": 16, "padding": 1},
    {"conv": 32, "stride": 2, "padding": 1},
    {"maxpool": 2},
]


def test_parse_layers_defaults():
    assert parse_layers(DIGITS_LAYERS) == [Conv(16, 3, 1, 1), Conv(32, 3, 2, 1), MaxPool(2)]


def test_padded_strided_network_learns_digits(digits, tmp_path):
    net = build_conv((1, 8, 8), 10, parse_precision("w2a2"), DIGITS_LAYERS, [32], input_bits=4)
    result = train(net, digits, epochs=6, batch_size=32, progress=False, seed=1)
    assert result.test_accuracy > 0.8
    model = export_qonnx(net, net.input_shape, tmp_path / "conv.onnx")
    assert model.get_tensor_shape(model.graph.input[0].name) == [1, 1, 8, 8]
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    attrs = [{a.name: list(a.ints) for a in n.attribute if a.ints} for n in convs]
    assert [a["pads"] for a in attrs] == [[1, 1, 1, 1]] * 2
    assert [a["strides"] for a in attrs] == [[1, 1], [2, 2]]
    # 8x8 -> 8x8 (padded) -> 4x4 (stride 2) -> 2x2 (pool): 32 * 2 * 2 features into FC 32
    linear = [m for m in net.classifier if hasattr(m, "in_features")]
    assert [m.in_features for m in linear] == [128, 32]


def test_width_scales_channels_and_hidden():
    net = build_conv((1, 8, 8), 10, parse_precision("w2a2"), DIGITS_LAYERS, [32], width=0.5)
    channels = [m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert channels == [8, 16]
    assert net(torch.rand(3, 64)).shape == (3, 10)


@pytest.mark.parametrize(
    "precision, input_bits, layer",
    [("w1a1", 8, "layers[1]"), ("w2a2", 1, "layers[0]"), ("w1a1", 1, "layers[0]")],
)
def test_padding_a_bipolar_tensor_is_refused(precision, input_bits, layer):
    with pytest.raises(ConfigError) as e:
        build_conv((1, 8, 8), 10, parse_precision(precision), DIGITS_LAYERS, [32], 1.0, input_bits)
    message = str(e.value)
    assert message.startswith(layer) and "bipolar" in message
    assert "at least 2 bits" in message and "padding: 0" in message


def test_padding_after_two_bit_activations_is_allowed():
    """Binary weights with 2-bit activations pad exactly: 0 is a level of a 2-bit activation."""
    net = build_conv((1, 8, 8), 10, parse_precision("w1a2"), DIGITS_LAYERS, [32])
    assert net(torch.rand(2, 1, 8, 8)).shape == (2, 10)
    unpadded = [{"conv": 8}, {"maxpool": 2}, {"conv": 8}]
    assert build_conv((1, 8, 8), 10, parse_precision("w1a1"), unpadded, input_bits=1)


@pytest.mark.parametrize(
    "layers, message",
    [
        ([], "must be a non-empty list"),
        ({"conv": 8}, "must be a non-empty list"),
        ([{"conv": 8, "kernal": 3}], r"layers\[0\]: unknown key\(s\) \['kernal'\]"),
        ([{"conv": 0}], r"layers\[0\]: conv=0 must be a positive whole number"),
        ([{"conv": 8}, {"conv": 8, "padding": -1}], r"layers\[1\]: padding=-1 must be"),
        ([{"conv": 8, "stride": 1.5}], r"layers\[0\]: stride=1.5 must be"),
        ([{"maxpool": 2}], "has no conv layer"),
        ([{"conv": 8}, {"maxpool": 2, "stride": 1}], r"layers\[1\]=.* is \{conv: channels"),
        ([{"conv": 8}, "pool"], r"layers\[1\]='pool'"),
    ],
)
def test_layer_spec_errors(layers, message):
    with pytest.raises(ConfigError, match=message):
        parse_layers(layers)


def test_window_larger_than_its_input_is_refused():
    layers = [{"conv": 8}, {"conv": 8}, {"maxpool": 2}, {"conv": 8}]
    with pytest.raises(ConfigError, match=r"layers\[3\] \(conv 8.*\) gets a 2x2 input"):
        build_conv((1, 8, 8), 10, parse_precision("w2a2"), layers)
