"""Bad input gets an error that names the problem and the fix, also through the CLI."""

import pytest
import torch
from brevitas import nn as qnn
from brevitas.export import export_qonnx
from torch import nn

from finnflow.cli import main
from finnflow.config import from_dict
from finnflow.errors import ConfigError, UnsupportedOpError
from finnflow.export import load_model
from finnflow.transforms import cleanup


def test_unsupported_op_is_named(tmp_path):
    net = nn.Sequential(
        qnn.QuantIdentity(bit_width=4, return_quant_tensor=False),
        qnn.QuantLinear(64, 16, bias=False, weight_bit_width=4),
        nn.Sigmoid(),
        qnn.QuantIdentity(bit_width=4),
        qnn.QuantLinear(16, 10, bias=False, weight_bit_width=4),
    ).eval()
    export_qonnx(net, torch.rand(1, 64), export_path=str(tmp_path / "sig.onnx"))
    with pytest.raises(UnsupportedOpError, match="unsupported op 'Sigmoid'"):
        cleanup(load_model(tmp_path / "sig.onnx"))


def test_cli_reports_errors_without_traceback(tmp_path, capsys):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("network: TFC\nprecision: w3a9\ndataset: digits\n")
    assert main(["build", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "unknown precision 'w3a9'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "data, match",
    [
        ({"precision": "w2a7"}, "unknown precision"),
        ({"board": "Arty"}, "unknown board 'Arty'"),
        ({"dataset": "cifar100"}, "dataset='cifar100'"),
        ({"network": "VGG"}, "network='VGG'"),
        ({"epochs": 3}, r"unknown config field\(s\) \['epochs'\]"),
        ({"network": "FC"}, "needs `hidden"),
        ({"input_bits": 5}, "input_bits=5"),
    ],
)
def test_config_validation(data, match):
    with pytest.raises(ConfigError, match=match):
        from_dict(data)


def test_missing_dataset_through_cli(tmp_path, capsys):
    cfg = tmp_path / "m.yaml"
    cfg.write_text(f"network: TFC\ndataset: fashion-mnist\ndata_dir: {tmp_path / 'none'}\n")
    assert main(["build", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "dataset 'fashion-mnist' not found" in err and "looked for" in err


@pytest.mark.parametrize(
    "data, match",
    [
        ({"target_fps": "fast"}, "target_fps='fast' must be a number"),
        ({"train": {"epochs": "5x"}}, "train.epochs='5x' must be a whole number"),
        ({"verify_samples": 2.5}, "verify_samples=2.5 must be a whole number"),
        ({"network": 5}, "network must be a string"),
        ({"hidden": 64, "network": "FC"}, "hidden=64 must be a list of positive layer sizes"),
        ({"hidden": [0], "network": "FC"}, "hidden=\\[0\\] must be a list"),
        ({"folding": 5}, "folding must be maximize, target_fps, a path"),
        ({"rtlsim_frames": 1}, "rtlsim_frames must be at least 2"),
        ({"train": {"lr": -1}}, "train.lr must be positive"),
    ],
)
def test_config_types_are_checked(data, match):
    with pytest.raises(ConfigError, match=match):
        from_dict(data)


def test_numbers_given_as_strings_are_accepted():
    cfg = from_dict({"clock_mhz": "125", "train": {"epochs": "3"}})
    assert cfg.clock_mhz == 125.0 and cfg.train.epochs == 3


def test_model_file_given_as_config(tmp_path, capsys):
    model = tmp_path / "net.onnx"
    model.write_bytes(bytes(range(256)) * 4)
    assert main(["build", str(model)]) == 2
    err = capsys.readouterr().err
    assert "is not a YAML build config" in err and "--model" in err and "Traceback" not in err


def test_build_folder_that_cannot_be_created(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["demo", "--out", str(blocker / "sub")]) == 2
    assert "cannot create the build folder" in capsys.readouterr().err
