"""Brevitas -> QONNX export, and loading of QONNX models users bring."""

import contextlib
import io
import logging
import warnings
from pathlib import Path

import torch
from qonnx.core.modelwrapper import ModelWrapper

from finnflow.errors import ConfigError


def export_qonnx(model: torch.nn.Module, in_features: int, path: Path) -> ModelWrapper:
    """Export a Brevitas network (eval mode, batch 1) to QONNX at ``path`` and load it back."""
    from brevitas.export import export_qonnx as brevitas_export

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    sample = torch.zeros(1, in_features)
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet):
        warnings.simplefilter("ignore")
        logging.getLogger("torch").setLevel(logging.ERROR)
        brevitas_export(model, sample, export_path=str(path))
    return load_model(path)


def load_model(path: Path) -> ModelWrapper:
    """Load a QONNX model, including external ``.onnx.data`` weights written beside it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"model file {path} does not exist")
    try:
        return ModelWrapper(str(path))
    except Exception as e:
        raise ConfigError(f"cannot load {path} as an ONNX model: {e}") from e
