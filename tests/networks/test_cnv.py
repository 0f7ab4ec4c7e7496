"""CNV: bnn_pynq's topology at every precision and width, on real CIFAR-10 images, and its QONNX
export with the NCHW input the flow's convolution passes take."""

import numpy as np
import pytest
import torch
from brevitas import nn as qnn
from torch import nn

from finnflow.export import export_qonnx
from finnflow.networks import build_cnv, parse_precision

# bnn_pynq's CNV.py: (out channels, pool after) per conv, then (in, out) per hidden FC layer
BNN_PYNQ_CONV = [(64, False), (64, True), (128, False), (128, True), (256, False), (256, False)]
BNN_PYNQ_FC = [(256, 512), (512, 512), (512, 10)]


def _weight_shapes(net):
    return [tuple(m.weight.shape) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _bnn_pynq_shapes(width: float):
    shapes, c_in = [], 3
    for c, _ in BNN_PYNQ_CONV:
        shapes.append((int(c * width), c_in, 3, 3))
        c_in = int(c * width)
    fc = [(int(i * width), int(o * width) if o != 10 else 10) for i, o in BNN_PYNQ_FC]
    return shapes + [(o, i) for i, o in fc]


@pytest.mark.parametrize("width", [0.25, 1.0])
@pytest.mark.parametrize("precision", ["w1a1", "w2a2", "w4a4", "float32"])
def test_cnv_matches_bnn_pynq(precision, width, cifar10_test):
    net = build_cnv(parse_precision(precision), width).eval()
    assert _weight_shapes(net) == _bnn_pynq_shapes(width)
    pools = [m.kernel_size for m in net.modules() if isinstance(m, nn.MaxPool2d)]
    assert pools == [2, 2]
    quantized = [m for m in net.modules() if isinstance(m, (qnn.QuantConv2d, qnn.QuantLinear))]
    assert len(quantized) == (0 if precision == "float32" else 9)
    images, _ = cifar10_test
    x = torch.from_numpy(images[:16].astype(np.float32) / 255)
    with torch.no_grad():
        out_images, out_rows = net(x), net(x.reshape(16, -1))
    assert out_images.shape == (16, 10) and torch.equal(out_images, out_rows)
    assert torch.isfinite(out_images).all()


def test_full_width_weight_count():
    """1,542,848 weights: 3*64*9 + 64*64*9 + ... + 512*10, as in bnn_pynq."""
    expected = sum(np.prod(s) for s in _bnn_pynq_shapes(1.0))
    net = build_cnv(parse_precision("w1a1"))
    assert sum(np.prod(s) for s in _weight_shapes(net)) == expected == 1_542_848


def test_input_integer_is_the_pixel_code(cifar10_test):
    """The 8-bit input quantizer's integer of a pixel p/255 is p, for every code 0..255."""
    net = build_cnv(parse_precision("w2a2"), 0.25).eval()
    codes = np.arange(256, dtype=np.uint8)
    images = np.concatenate([cifar10_test[0][:8].ravel(), codes]).astype(np.float32) / 255
    x = torch.from_numpy(images)
    q = net.features[1](net.features[0](x))
    ints = (q.value / q.scale).detach().numpy()
    assert float(q.scale) == 2.0**-8
    assert np.array_equal(ints, np.concatenate([cifar10_test[0][:8].ravel(), codes]))


@pytest.mark.parametrize("precision", ["w1a1", "w2a2"])
def test_export_is_qonnx_with_nchw_input(precision, tmp_path):
    net = build_cnv(parse_precision(precision), 0.25)
    model = export_qonnx(net, net.input_shape, tmp_path / "cnv.onnx")
    ops = [n.op_type for n in model.graph.node]
    assert model.get_tensor_shape(model.graph.input[0].name) == [1, 3, 32, 32]
    assert ops.count("Conv") == 6 and ops.count("MaxPool") == 2
    assert ops.count("BatchNormalization") == 8
    act = "BipolarQuant" if precision == "w1a1" else "Quant"
    assert ops.count(act) >= 17  # 9 weights and 8 activations
    assert ops[:2] == ["Mul", "Quant"]  # the pixel code, then the 8-bit input quantizer
    for node in model.graph.node:
        if node.op_type == "Conv":
            attrs = {a.name: list(a.ints) for a in node.attribute if a.ints}
            assert attrs.get("pads", [0] * 4) == [0] * 4 and attrs["kernel_shape"] == [3, 3]
            assert len(node.input) == 2  # no bias
