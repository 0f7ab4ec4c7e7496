"""Brevitas -> QONNX export, and loading of QONNX models users bring."""

import contextlib
import io
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import torch
from qonnx.core.modelwrapper import ModelWrapper

from finnflow.errors import ConfigError


def export_qonnx(
    model: torch.nn.Module, input_shape: int | Sequence[int], path: Path
) -> ModelWrapper:
    """Export a Brevitas network (eval mode, batch 1) to QONNX at ``path`` and load it back.

    ``input_shape`` is one input without the batch: a feature count for FC networks (input
    [1, features]), (C, H, W) for convolutional ones (NCHW input [1, C, H, W])."""
    from brevitas.export import export_qonnx as brevitas_export

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    sample = torch.zeros(1, *shape)
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet):
        warnings.simplefilter("ignore")
        logging.getLogger("torch").setLevel(logging.ERROR)
        brevitas_export(model, sample, export_path=str(path))
    return load_model(path)


QUANTIZERS = ("Quant", "BipolarQuant", "Trunc")


def load_model(path: Path) -> ModelWrapper:
    """Load a QONNX model, including external weights written beside it (``.onnx.data``). A
    model file is data: external data may only name files in the model's own folder, so a
    model cannot make the flow read a file elsewhere."""
    import onnx
    from onnx.external_data_helper import load_external_data_for_model, uses_external_data

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model file {path} does not exist")
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(f"cannot load {path} as an ONNX model: {first}") from None
    folder = path.resolve().parent
    tensors = [t for t in proto.graph.initializer if uses_external_data(t)]
    for t in tensors:
        location = next((e.value for e in t.external_data if e.key == "location"), "")
        target = (folder / location).resolve()
        if not location or Path(location).is_absolute() or not target.is_relative_to(folder):
            raise ConfigError(
                f"model {path}: tensor {t.name!r} keeps its data in {location!r}, outside the "
                "model's folder; refused: keep external data beside the model file"
            )
        if not target.is_file():
            raise ConfigError(f"model {path}: the external data file {location!r} is missing")
    try:
        if tensors:
            load_external_data_for_model(proto, str(folder))
        return ModelWrapper(proto)
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(f"cannot load {path} as an ONNX model: {first}") from None


def check_quantized(model: ModelWrapper, path: Path) -> None:
    """A user's model must carry QONNX quantizers: the flow builds quantized networks only."""
    if not any(n.op_type in QUANTIZERS for n in model.graph.node):
        raise ConfigError(
            f"model {path} is not quantized (it has no {'/'.join(QUANTIZERS)} nodes): export a "
            "Brevitas network with quantized layers with brevitas.export.export_qonnx"
        )
