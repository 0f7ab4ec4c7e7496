import torch

from finnflow.networks import build_fc, parse_precision
from finnflow.training import load_checkpoint, save_checkpoint, seed_everything, train


def _run(digits):
    seed_everything(3)
    net = build_fc(64, 10, parse_precision("w2a2"), None, [32], input_bits=4)
    result = train(net, digits, epochs=2, progress=False, seed=3)
    return net, result


def test_training_is_deterministic_and_learns(digits):
    net_a, res_a = _run(digits)
    net_b, res_b = _run(digits)
    assert res_a.test_accuracy == res_b.test_accuracy
    for (k, a), b in zip(net_a.state_dict().items(), net_b.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    assert res_a.test_accuracy > 0.5


def test_checkpoint_roundtrip(digits, tmp_path):
    net, result = _run(digits)
    save_checkpoint(net, tmp_path / "ckpt.pt", {"precision": "w2a2"}, result)
    assert (tmp_path / "metrics.json").is_file()
    other = build_fc(64, 10, parse_precision("w2a2"), None, [32], input_bits=4)
    load_checkpoint(other, tmp_path / "ckpt.pt")
    x = torch.from_numpy(digits.x_test[:50])
    assert torch.equal(net.eval()(x), other(x))
