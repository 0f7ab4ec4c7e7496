"""A QONNX model the user exported from Brevitas (not made by finnflow) builds to hardware layers
whose execution matches the model's own QONNX execution bit for bit."""

import json

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from brevitas.core.scaling import ScalingImplType
from brevitas.export import export_qonnx
from brevitas.quant import (
    Int8ActPerTensorFloat,
    Int8WeightPerChannelFloat,
    Int8WeightPerTensorFloat,
    Uint8ActPerTensorFloat,
)
from torch import nn

from finnflow.cli import main
from finnflow.export import load_model

# small and quick to simulate (the default, `maximize`, is covered by the demo and folding tests)
FOLDED = {"Defaults": {"PE": [2, "all"], "SIMD": [2, "all"]}}


def build_user_model(
    net, tmp_path, inputs: np.ndarray, sample_shape=(1, 64), folding: dict | None = None
) -> tuple:
    """Export ``net`` with Brevitas' own exporter, build it with ``finnflow build --model`` on the
    given real inputs (rtlsim on; the default folding, else the given FINN JSON), and return
    (build folder, summary)."""
    net.eval()
    export_qonnx(net, torch.zeros(*sample_shape), export_path=str(tmp_path / "user.onnx"))
    np.save(tmp_path / "inputs.npy", inputs)
    out = tmp_path / "build"
    args = ["build", "--model", str(tmp_path / "user.onnx"), "--inputs"]
    args += [str(tmp_path / "inputs.npy"), "--out", str(out), "--rtlsim", "on"]
    if folding is not None:
        (tmp_path / "folding.json").write_text(json.dumps(folding))
        args += ["--folding", str(tmp_path / "folding.json")]
    assert main(args) == 0
    return out, json.loads((out / "summary.json").read_text())


class UserNet(nn.Module):
    """Differs from finnflow's FC on purpose: image-shaped input and Flatten, biases, per-channel
    weight scales, unsigned ReLU activations, a bias on the output layer."""

    def __init__(self):
        super().__init__()
        self.inp = qnn.QuantIdentity(
            bit_width=4, act_quant=Uint8ActPerTensorFloat, return_quant_tensor=True
        )
        self.fc1 = qnn.QuantLinear(
            64, 48, bias=True, weight_bit_width=3, weight_quant=Int8WeightPerChannelFloat
        )
        self.bn1 = nn.BatchNorm1d(48)
        self.act1 = qnn.QuantReLU(bit_width=3, return_quant_tensor=True)
        self.fc2 = qnn.QuantLinear(
            48, 10, bias=True, weight_bit_width=4, weight_quant=Int8WeightPerChannelFloat
        )

    def forward(self, x):
        x = self.inp(torch.flatten(x, 1))
        return self.fc2(self.act1(self.bn1(self.fc1(x))))


@pytest.fixture(scope="module")
def user_net(digits):
    torch.manual_seed(0)
    net = UserNet()
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    x = torch.from_numpy(digits.x_train).reshape(-1, 1, 8, 8)
    y = torch.from_numpy(digits.y_train)
    for _ in range(3):
        for i in range(0, len(x), 64):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[i : i + 64]), y[i : i + 64]).backward()
            opt.step()
    return net


def test_user_model_builds_bit_exact(user_net, tmp_path, digits):
    inputs = digits.x_test[:250].reshape(-1, 1, 8, 8)
    out, summary = build_user_model(
        user_net, tmp_path, inputs, sample_shape=(1, 1, 8, 8), folding=FOLDED
    )
    assert summary["bit_exact_reference"] == "qonnx"
    assert summary["verified_samples"] == 250
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    assert summary["rtlsim"]["bit_exact"]
    hw = load_model(out / "hw.onnx")
    assert [n.op_type for n in hw.graph.node if n.domain == "finnflow.hw"] == ["MVAU", "MVAU"]
    # the output bias differs per class, so argmax stays in software post-processing
    assert not summary["label_select_in_hw"] and (out / "postprocess.onnx").is_file()


class NonNarrowWeights(Int8WeightPerTensorFloat):
    narrow_range = False


class ScaleBy(nn.Module):
    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor


def test_decreasing_activations_negate_weights(tmp_path, digits):
    """A negative scale and negative batch-norm gammas make activations decrease with the
    accumulator: those weight columns are negated, which can leave the weights' declared range
    (non-narrow INT3: -4 becomes +4), and the RTL must still match bit for bit."""
    torch.manual_seed(1)
    net = nn.Sequential(
        qnn.QuantIdentity(bit_width=4, act_quant=Uint8ActPerTensorFloat, return_quant_tensor=True),
        qnn.QuantLinear(64, 24, bias=False, weight_bit_width=3, weight_quant=NonNarrowWeights),
        ScaleBy(-0.75),
        nn.BatchNorm1d(24),
        qnn.QuantIdentity(bit_width=2, return_quant_tensor=True),
        qnn.QuantLinear(24, 10, bias=False, weight_bit_width=3, weight_quant=NonNarrowWeights),
    )
    x = torch.from_numpy(digits.x_train)
    with torch.no_grad():
        net(x[:512])  # batch-norm statistics from real data
        net[3].weight.copy_(torch.linspace(-1.5, 1.5, 24))
    out, summary = build_user_model(net, tmp_path, digits.x_test[:220], folding=FOLDED)
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    assert summary["rtlsim"]["bit_exact"]
    streamlined = load_model(out / "streamlined.onnx")
    first = streamlined.get_nodes_by_op_type("MatMul")[0]
    w = streamlined.get_initializer(first.input[1])
    assert w.max() == 4 and streamlined.get_tensor_datatype(first.input[1]).name == "INT4"


class ConstScaleAct(Int8ActPerTensorFloat):
    """Signed activation with the fixed range [-1, 1]: inputs scaled into [0, 0.4] never reach
    its top levels."""

    scaling_impl_type = ScalingImplType.CONST
    scaling_const = 1.0
    min_val = -1.0
    max_val = 1.0


def test_requantized_input_becomes_standalone_thresholding(tmp_path, digits):
    """A second quantizer straight after the input quantizer has no MatMul to fuse into: it
    becomes a standalone Thresholding layer, whose never-firing steps (thresholds above the
    8-bit input range) the RTL holds in wider threshold words."""
    torch.manual_seed(2)
    net = nn.Sequential(
        qnn.QuantIdentity(bit_width=8, act_quant=Uint8ActPerTensorFloat, return_quant_tensor=True),
        ScaleBy(0.4),
        qnn.QuantIdentity(bit_width=3, act_quant=ConstScaleAct, return_quant_tensor=True),
        qnn.QuantLinear(64, 16, bias=False, weight_bit_width=4),
        nn.BatchNorm1d(16),
        qnn.QuantIdentity(bit_width=4, return_quant_tensor=True),
        qnn.QuantLinear(16, 10, bias=False, weight_bit_width=4),
    )
    with torch.no_grad():
        net(torch.from_numpy(digits.x_train[:512]))
    out, summary = build_user_model(net, tmp_path, digits.x_test[:200], folding=FOLDED)
    hw = load_model(out / "hw.onnx")
    ops = [n.op_type for n in hw.graph.node if n.domain == "finnflow.hw"]
    assert ops[0] == "Thresholding" and ops.count("MVAU") == 2
    thresholds = hw.get_initializer(
        hw.graph.node[[n.op_type for n in hw.graph.node].index("Thresholding")].input[1]
    )
    assert thresholds.max() == 256  # a step the 8-bit input never reaches
    assert all(summary["bit_exact"].values()), summary["bit_exact"]
    assert summary["rtlsim"]["bit_exact"]
