"""The bad-input catalogue: each case is something a user gets wrong (a file of the wrong kind in
an argument, an unreadable or empty file, a value of the wrong type or range, bad input data, a
model or folding the flow cannot build, a folder it cannot write, a missing tool, a build folder
of another flow version) and must end in exit code 2 with a one-line error naming the problem,
never a traceback and never a build that goes on with wrong data."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest
from fc_config import write_config

from finnflow.cli import main


def _config(tmp: Path, **changes) -> str:
    return str(write_config(tmp / "case.yaml", name="case", **changes))


def _file(tmp: Path, name: str, content: bytes | str) -> str:
    path = tmp / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(path)


def _onnx_model(tmp: Path) -> str:
    """A real QONNX file: a Brevitas FC network exported by the flow's own export step."""
    out = tmp / "trained"
    assert main(["build", _config(tmp), "--out", str(out), "--stop-step", "export"]) == 0
    return str(out / "qonnx.onnx")


def _float_onnx(tmp: Path) -> str:
    """An ONNX model with no quantizers at all (plain float MatMul + Relu)."""
    from onnx import TensorProto, helper, save

    w = helper.make_tensor("w", TensorProto.FLOAT, [64, 10], np.ones(640, np.float32))
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "float",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [w],
    )
    path = tmp / "float.onnx"
    save(helper.make_model(graph), str(path))
    return str(path)


def _out(tmp: Path) -> list[str]:
    return ["--out", str(tmp / "out")]


# (id, argv builder, words the one-line error must contain)
CONV = [{"conv": 8}, {"conv": 8, "padding": 1}]
CASES = [
    # --- the command line and the config file
    ("no_config", lambda t: ["build"], ["config file or --model"]),
    ("config_missing", lambda t: ["build", str(t / "nope.yaml")], ["does not exist"]),
    ("config_is_folder", lambda t: ["build", str(t)], ["is a folder", "YAML"]),
    ("config_empty", lambda t: ["build", _file(t, "e.yaml", "")], ["empty"]),
    ("config_binary", lambda t: ["build", _file(t, "m.onnx", b"\x08\x07\xff\xfe")], ["--model"]),
    ("config_bad_yaml", lambda t: ["build", _file(t, "b.yaml", "a: [1,\n")], ["not valid YAML"]),
    ("config_list", lambda t: ["build", _file(t, "l.yaml", "- 1\n- 2\n")], ["YAML mapping"]),
    ("config_unreadable", None, ["cannot read"]),
    ("unknown_field", lambda t: ["build", _config(t, epochs=3)], ["unknown config field"]),
    ("epochs_text", lambda t: ["build", _config(t, train=dict(epochs="ten"))], ["train.epochs"]),
    ("clock_negative", lambda t: ["build", _config(t, clock_mhz=-5)], ["clock_mhz", "positive"]),
    ("fps_zero", lambda t: ["build", _config(t, target_fps=0)], ["target_fps", "positive"]),
    ("bad_precision", lambda t: ["build", _config(t, precision="w9a3")], ["precision"]),
    ("unknown_network", lambda t: ["build", _config(t, network="VGG")], ["network='VGG'"]),
    ("unknown_board", lambda t: ["build", _config(t, board="Arty")], ["unknown board"]),
    ("unknown_dataset", lambda t: ["build", _config(t, dataset="cifar100")], ["dataset="]),
    (
        "dataset_absent",
        lambda t: ["build", _config(t, dataset="mnist", data_dir=str(t / "x"))],
        ["not found"],
    ),
    ("bad_input_bits", lambda t: ["build", _config(t, input_bits=5)], ["input_bits=5"]),
    # --- convolutional networks
    (
        "conv_pads_bipolar",
        lambda t: ["build", _config(t, network="conv", precision="w1a1", layers=CONV)],
        ["layers[1]", "bipolar", "padding: 0"],
    ),
    (
        "cnv_on_tiny_images",
        lambda t: ["build", _config(t, network="CNV", hidden=None)],
        ["CNV", "8x8"],
    ),
    (
        "conv_unknown_layer_key",
        lambda t: ["build", _config(t, network="conv", layers=[{"conv": 8, "kernal": 3}])],
        ["kernal"],
    ),
    ("rtlsim_word", lambda t: ["build", _config(t, rtlsim="maybe")], ["rtlsim="]),
    (
        "unknown_start_step",
        lambda t: ["build", _config(t), *_out(t), "--start-step", "nope"],
        ["--start-step", "steps are"],
    ),
    (
        "start_step_too_late",
        lambda t: ["build", _config(t), *_out(t), "--start-step", "fold"],
        ["cannot start at step 'fold'"],
    ),
    (
        "out_under_a_file",
        lambda t: ["build", _config(t), "--out", _file(t, "f", "x") + "/b"],
        ["cannot create the build folder", "--out"],
    ),
    # --- checkpoints and models
    (
        "checkpoint_missing",
        lambda t: ["build", _config(t, checkpoint=str(t / "c.pt"))],
        ["checkpoint", "does not exist"],
    ),
    (
        "checkpoint_garbage",
        lambda t: ["build", _config(t, checkpoint=_file(t, "c.pt", "junk"))],
        ["checkpoint", "not a PyTorch checkpoint"],
    ),
    (
        "model_missing",
        lambda t: ["build", "--model", str(t / "m.onnx"), *_out(t)],
        ["model file", "does not exist"],
    ),
    (
        "model_is_text",
        lambda t: ["build", "--model", _file(t, "m.onnx", "hello"), *_out(t)],
        ["as an ONNX model"],
    ),
    (
        "model_is_yaml_config",
        lambda t: ["build", "--model", _config(t), *_out(t)],
        ["as an ONNX model"],
    ),
    ("model_not_quantized", lambda t: ["build", "--model", _float_onnx(t), *_out(t)], ["quantiz"]),
    # --- verification inputs
    (
        "inputs_missing",
        lambda t: ["build", _config(t), "--inputs", str(t / "x.npy"), *_out(t)],
        ["inputs file", "does not exist"],
    ),
    (
        "inputs_not_npy",
        lambda t: ["build", _config(t), "--inputs", _file(t, "x.npy", "1,2"), *_out(t)],
        ["not a .npy file"],
    ),
    ("inputs_wrong_shape", None, ["shape"]),
    ("inputs_nan", None, ["NaN"]),
    ("inputs_object_array", None, ["numbers"]),
    # --- folding
    (
        "folding_missing",
        lambda t: ["build", _config(t), "--folding", str(t / "f.json"), *_out(t)],
        ["folding file", "does not exist"],
    ),
    (
        "folding_not_json",
        lambda t: ["build", _config(t), "--folding", _file(t, "f.json", "{x"), *_out(t)],
        ["not valid JSON"],
    ),
    ("folding_unknown_layer", None, ["MVAU_99"]),
    ("folding_not_dividing", None, ["PE=7", "divide"]),
    ("folding_dsp_unsupported", None, ["MVAU_1", "resType 'dsp' needs", "use resType 'lut'"]),
    (
        "over_budget",
        lambda t: ["build", _config(t, hidden=[1024, 1024], precision="w8a8", target_fps=1e9)],
        ["does not fit the Pynq-Z1", "LUT", "lower target_fps"],
    ),
    (
        "nothing_fits_the_board",
        lambda t: ["build", _config(t, hidden=[1024, 1024], precision="w8a8")],
        ["no folding fits the Pynq-Z1", "over by"],
    ),
    (
        "board_incomplete",
        lambda t: ["build", _config(t, board={"name": "Z7-10", "part": "xc7z010clg400-1"})],
        ["board", "needs lut, ff, bram18, dsp"],
    ),
    (
        "target_mode_without_target",
        lambda t: ["build", _config(t, folding="target_fps")],
        ["folding: target_fps needs `target_fps`"],
    ),
    # --- tools and folders
    ("verilator_missing", None, ["Verilator"]),
    ("folder_of_other_version", None, ["was made by finnflow 0.0.1"]),
]


def _write_npy(t: Path, array) -> str:
    path = t / "x.npy"
    np.save(path, array, allow_pickle=True)
    return str(path)


def _setup(case: str, t: Path, monkeypatch) -> list[str]:
    """Cases that need more than an argv."""
    if case == "config_unreadable":
        path = Path(_config(t))
        path.chmod(0)
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who reads any file (root)")
        return ["build", str(path)]
    if case == "inputs_wrong_shape":
        return ["build", _config(t), "--inputs", _write_npy(t, np.ones((4, 7))), *_out(t)]
    if case == "inputs_nan":
        x = np.random.default_rng(0).random((4, 64))
        x[1, 3] = np.nan
        return ["build", _config(t), "--inputs", _write_npy(t, x), *_out(t)]
    if case == "inputs_object_array":
        x = np.array([{"a": 1}] * 4, dtype=object)
        return ["build", _config(t), "--inputs", _write_npy(t, x), *_out(t)]
    if case == "folding_unknown_layer":
        fold = _file(t, "f.json", json.dumps({"MVAU_99": {"PE": 1, "SIMD": 1}}))
        return ["build", _config(t), "--folding", fold, *_out(t)]
    if case == "folding_not_dividing":
        fold = _file(t, "f.json", json.dumps({"MVAU_0": {"PE": 7, "SIMD": 1}}))
        return ["build", _config(t), "--folding", fold, *_out(t)]
    if case == "folding_dsp_unsupported":  # the logits layer: signed inputs, no thresholds
        fold = _file(t, "f.json", json.dumps({"MVAU_1": {"resType": "dsp"}}))
        return ["build", _config(t), "--folding", fold, *_out(t)]
    if case == "verilator_missing":
        monkeypatch.setenv("PATH", str(t / "empty-path"))
        monkeypatch.delenv("VERILATOR_ROOT", raising=False)
        real = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a: None if name == "verilator" else real(name, *a),
        )
        return ["build", _config(t, rtlsim=True), *_out(t)]
    if case == "folder_of_other_version":
        out = t / "out"
        out.mkdir()
        (out / "build_state.json").write_text(json.dumps({"flow": "finnflow 0.0.1", "steps": {}}))
        return ["build", _config(t), *_out(t), "--start-step", "export"]
    raise AssertionError(case)


@pytest.mark.parametrize("case, argv, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(case, argv, words, tmp_path, capsys, monkeypatch):
    args = argv(tmp_path) if argv else _setup(case, tmp_path, monkeypatch)
    capsys.readouterr()
    assert main(args) == 2, capsys.readouterr().err[-3000:]
    log = capsys.readouterr().err  # progress output, then the error as the last line
    assert "Traceback" not in log, log
    err = log.strip().splitlines()[-1]
    assert err.startswith("finnflow: error: "), log
    assert log.count("finnflow: error") == 1, log
    for word in words:
        assert word in err, (word, err)


def test_catalogue_size():
    assert len(CASES) >= 30
