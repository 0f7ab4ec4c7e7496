"""Convolutional networks through the transforms: channels-last lowering, streamlining through
window generation, max-pool and flatten, and conversion to sliding-window, padding, max-pool and
MVAU layers, bit-exact at every stage on real digits test images; a user's own Brevitas conv
model builds too; forms the hardware cannot map are refused by name."""

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from conv_config import LAYERS, UNPADDED, conv_config
from onnx import helper
from torch import nn

from finnflow.build import run_build
from finnflow.errors import UnsupportedOpError
from finnflow.execute import execute, execute_float64
from finnflow.export import export_qonnx, load_model
from finnflow.hw.base import hw_nodes
from finnflow.networks.quantizers import InputQuant, act_quant, weight_quant
from finnflow.transforms import cleanup, convert_to_hw, streamline

CASES = [("w2a2", 8, LAYERS), ("w4a4", 4, LAYERS), ("w1a2", 8, LAYERS), ("w1a1", 8, UNPADDED)]


@pytest.mark.parametrize(
    "precision, input_bits, layers", CASES, ids=[f"{p}-i{b}" for p, b, _ in CASES]
)
def test_conv_network_bit_exact_at_every_stage(precision, input_bits, layers, build_dir):
    cfg = conv_config(precision, input_bits, layers)
    out = build_dir / cfg.name
    summary = run_build(cfg, out, stop_step="verify")
    assert summary["bit_exact_reference"] == "brevitas"
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    assert summary["label_agreement"] == 1.0
    ops = {n.op_type for n in hw_nodes(load_model(out / "dataflow.onnx"))}
    assert {"ConvolutionInputGenerator", "StreamingMaxPool", "MVAU"} <= ops
    assert ("FMPadding" in ops) == (layers is LAYERS)


def test_lowered_graph_is_channels_last(build_dir):
    """After cleanup every layer is Im2Col + MatMul over the last axis; after streamlining the
    window generation and max-pool read integer tensors and no float op sits between layers."""
    cfg = conv_config("w2a2", 8, LAYERS)
    out = build_dir / cfg.name
    run_build(cfg, out, stop_step="transform")
    cleaned = load_model(out / "cleaned.onnx")
    ops = [n.op_type for n in cleaned.graph.node]
    assert "Conv" not in ops and "MaxPool" not in ops
    for node in cleaned.graph.node:  # the FC layers' batch norms remain; the conv ones are gone
        if node.op_type == "BatchNormalization":
            assert len(cleaned.get_tensor_shape(node.input[0])) == 2
    assert ops.count("Im2Col") == 2 and ops.count("MaxPoolNHWC") == 1
    first = next(n for n in cleaned.graph.node if n.op_type == "Transpose")
    assert list(first.attribute[0].ints) == [0, 2, 3, 1]
    s = load_model(out / "streamlined.onnx")
    for node in s.graph.node:
        if node.op_type in ("Im2Col", "MaxPoolNHWC", "Flatten"):
            assert s.get_tensor_datatype(node.input[0]).is_integer(), node.name
    im2col = [n for n in s.graph.node if n.op_type == "Im2Col"]
    assert [s.get_tensor_shape(n.output[0]) for n in im2col] == [[1, 8, 8, 9], [1, 4, 4, 72]]


class UserConvNet(nn.Module):
    """A user's own Brevitas model (not one of finnflow's networks): padded and strided
    convolutions, a max-pool and a flatten into a linear layer."""

    def __init__(self, pad_second: int = 0, act_bits: int = 2):
        super().__init__()
        wq, aq = weight_quant(2), act_quant(act_bits)
        self.quant = qnn.QuantIdentity(act_quant=InputQuant, bit_width=8, return_quant_tensor=True)
        self.conv1 = qnn.QuantConv2d(1, 6, 3, padding=1, bias=False, weight_quant=wq)
        self.bn1 = nn.BatchNorm2d(6)
        self.act1 = qnn.QuantIdentity(act_quant=aq, bit_width=act_bits, return_quant_tensor=True)
        self.conv2 = qnn.QuantConv2d(
            6, 8, 3, stride=2, padding=pad_second, bias=False, weight_quant=wq
        )
        self.bn2 = nn.BatchNorm2d(8)
        self.act2 = qnn.QuantIdentity(act_quant=aq, bit_width=act_bits, return_quant_tensor=True)
        self.pool = nn.MaxPool2d(2)
        side = (8 + 2 * pad_second - 3) // 2 + 1
        self.fc = qnn.QuantLinear(8 * (side // 2) ** 2, 10, bias=False, weight_quant=wq)

    def forward(self, x):
        x = self.act1(self.bn1(self.conv1(self.quant(x.reshape(-1, 1, 8, 8)))))
        x = self.pool(self.act2(self.bn2(self.conv2(x))))
        x = x.value if hasattr(x, "value") else x
        return self.fc(x.reshape(x.shape[0], -1))


def user_model(tmp_path, digits, **kw):
    """The user's network with batch-norm statistics from real digits, exported to QONNX."""
    torch.manual_seed(0)
    net = UserConvNet(**kw)
    net.train()
    with torch.no_grad():
        net(torch.from_numpy(digits.x_train[:512]))
    net.eval()
    return net, export_qonnx(net, (1, 8, 8), tmp_path / "user.onnx")


def test_users_brevitas_conv_model_is_bit_exact(tmp_path, digits):
    net, model = user_model(tmp_path, digits)
    x = digits.x_test[:300].reshape(-1, 1, 8, 8)
    ref = execute_float64(model, x)[model.graph.output[0].name]
    with torch.no_grad():
        brevitas = net.double()(torch.from_numpy(x).double()).numpy()
    scale = np.abs(ref).max()
    assert np.abs(brevitas - ref).max() < 1e-6 * scale
    hw = convert_to_hw(streamline(cleanup(model)))
    out = execute(hw, x)
    assert np.abs(out[hw.graph.output[0].name] - ref).max() < 1e-6 * scale
    assert np.array_equal(out["label"].reshape(-1), ref.argmax(axis=1))
    assert len(np.unique(ref.argmax(axis=1))) > 3


def test_padding_after_bipolar_activation_is_refused(tmp_path, digits):
    _, model = user_model(tmp_path, digits, pad_second=1, act_bits=1)
    with pytest.raises(UnsupportedOpError, match="no integer level for the value 0"):
        streamline(cleanup(model))


def _edit_node(model, op_type: str, **attrs):
    node = next(n for n in model.graph.node if n.op_type == op_type)
    for name, value in attrs.items():
        for a in list(node.attribute):
            if a.name == name:
                node.attribute.remove(a)
        node.attribute.append(helper.make_attribute(name, value))
    return model


@pytest.mark.parametrize(
    "op_type, attrs, message",
    [
        ("MaxPool", {"strides": [1, 1]}, "stride equals the kernel"),
        ("Conv", {"dilations": [2, 2]}, "dense, undilated convolutions"),
    ],
)
def test_unmappable_conv_forms_are_named(tmp_path, digits, op_type, attrs, message):
    _, model = user_model(tmp_path, digits)
    model = _edit_node(model, op_type, **attrs)
    with pytest.raises(UnsupportedOpError, match=message) as e:
        cleanup(model)
    assert op_type in str(e.value)
