"""Files users are sent are data, never code: a checkpoint that would run code is refused before
anything in it runs, a model cannot make the flow read a file outside its folder, and a build
reaches the network only when the config says ``download: true``. Python's audit events (every
``open``, ``socket.connect`` and ``subprocess.Popen``) are recorded while the flow runs, so each
test shows what was and was not touched."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from fc_config import write_config
from onnx import TensorProto, helper, numpy_helper, save

from finnflow.cli import main

_EVENTS: list[tuple[str, str, bool]] | None = None
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def _writes(args) -> bool:
    mode, flags = (args[1], args[2]) if len(args) >= 3 else (None, 0)
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool((flags or 0) & _WRITE_FLAGS)


def _hook(event, args):
    if _EVENTS is not None and event in ("open", "socket.connect", "subprocess.Popen"):
        target = args[0] if args else ""
        _EVENTS.append((event, str(target), event == "open" and _writes(args)))


sys.addaudithook(_hook)  # audit hooks cannot be removed; this one records only inside `audit`


@pytest.fixture
def audit():
    """The audit events of the test body: (event, path or address)."""
    global _EVENTS
    _EVENTS = []
    try:
        yield _EVENTS
    finally:
        _EVENTS = None


class _Payload:
    """Unpickling this object would create the marker file: it stands for code in a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _config(tmp: Path, **fields) -> Path:
    return write_config(tmp / "safe.yaml", name="safe", **fields)


def test_checkpoint_with_code_is_refused_unrun(tmp_path, capsys, audit):
    marker = tmp_path / "code-ran"
    ckpt = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "meta": _Payload(marker)}, ckpt)
    cfg = _config(tmp_path, checkpoint=str(ckpt))
    assert main(["build", str(cfg), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "holds Python objects besides tensors" in err and "Traceback" not in err
    assert not marker.exists(), "the checkpoint's code ran"
    assert not any(str(marker) in path for _, path, _ in audit)


def _model_with_external(tmp: Path, location: str) -> Path:
    """A one-MatMul ONNX model whose weight tensor names external data at ``location``."""
    w = numpy_helper.from_array(np.ones((4, 2), np.float32), "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value=location)
    w.external_data.add(key="length", value="32")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "ext",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        [w],
    )
    folder = tmp / "sent"
    folder.mkdir(exist_ok=True)
    path = folder / "model.onnx"
    save(helper.make_model(graph), str(path))
    return path


@pytest.mark.parametrize("relative", [True, False], ids=["dot-dot", "absolute"])
def test_model_external_data_outside_its_folder_is_refused_unread(
    relative, tmp_path, capsys, audit
):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(8, dtype=np.float32).tobytes())
    location = "../secret.bin" if relative else str(secret)
    model = _model_with_external(tmp_path, location)
    audit.clear()
    assert main(["build", "--model", str(model), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "outside the model's folder; refused" in err and "Traceback" not in err
    assert not any(Path(path).name == "secret.bin" for event, path, _ in audit if event == "open")


def test_no_network_without_download(tmp_path, capsys, audit):
    cfg = _config(tmp_path, dataset="mnist", data_dir=str(tmp_path / "absent"))
    assert main(["build", str(cfg), "--out", str(tmp_path / "out")]) == 2
    assert "download: true" in capsys.readouterr().err
    assert not [e for e in audit if e[0] == "socket.connect"]


def test_build_writes_only_its_folder(tmp_path, capsys, audit):
    """A whole build without simulation (train to estimate) writes no file outside its build
    folder, starts no process and opens no connection."""
    out = tmp_path / "out"
    cfg = _config(tmp_path)
    audit.clear()
    assert main(["build", str(cfg), "--out", str(out)]) == 0
    opened = [path for event, path, write in audit if event == "open" and write]
    assert opened, "the audit saw the build's own writes"
    outside = [p for p in opened if not Path(p).resolve().is_relative_to(out.resolve())]
    assert not outside, outside
    assert not [e for e in audit if e[0] in ("socket.connect", "subprocess.Popen")]
