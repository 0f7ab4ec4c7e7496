import torch

from finnflow.networks import build_fc, hidden_sizes, parse_precision


def test_topologies_and_width():
    assert hidden_sizes("TFC", None) == [64, 64, 64]
    assert hidden_sizes("SFC", None, 0.5) == [128, 128, 128]
    assert hidden_sizes(None, [100, 50], 2.0) == [200, 100]


def test_binary_network_is_bipolar(digits):
    net = build_fc(64, 10, parse_precision("w1a1"), "TFC").eval()
    linear = net.features[2]
    w = linear.quant_weight().value
    assert set(torch.unique(w / w.abs().max()).tolist()) == {-1.0, 1.0}
    act = net.features[:5](torch.from_numpy(digits.x_test[:32]))
    assert set(torch.unique(act.value / act.scale).tolist()) == {-1.0, 1.0}


def test_float32_variant_has_no_quantizers():
    net = build_fc(64, 10, parse_precision("float32"), "TFC")
    assert not any("Quant" in type(m).__name__ for m in net.modules())
    assert net(torch.rand(4, 64)).shape == (4, 10)
