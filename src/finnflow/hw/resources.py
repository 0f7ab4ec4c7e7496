"""The resource model of the hardware layers, calibrated against synthesis.

Each layer describes its hardware by a few features (``resource_features``: MAC lanes by
product kind, adder, accumulator and comparator bits, memory bits mapped to LUTs, register
bits, control), and its LUT and FF counts are linear in them. The coefficients are fitted by
``bench/calibrate_resources.py`` to Yosys ``synth_xilinx`` runs of the generated RTL (relative
error minimized, coefficients non-negative) and stored in ``resource_model.json`` beside this
file, with the Yosys version they hold for. An op without fitted coefficients counts one LUT
(or FF) per feature unit, a deliberately rough prior. Block RAM counts are exact per op
(``bram_estimation``), since the RTL decides which memories go to block RAM."""

import functools
import json
import math
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).with_name("resource_model.json")
RESOURCES = ("lut", "ff")


@functools.lru_cache(maxsize=1)
def _model() -> dict:
    if not MODEL_FILE.is_file():
        return {}
    return json.loads(MODEL_FILE.read_text())


def calibrated_with() -> str:
    """The Yosys version the coefficients were fitted to."""
    return _model().get("yosys", "uncalibrated")


def features(op, resource: str = "lut") -> dict[str, float]:
    return {k: float(v) for k, v in op.resource_features(resource).items()}


def coefficients(op_type: str, resource: str) -> dict[str, float] | None:
    return _model().get("ops", {}).get(op_type, {}).get(resource)


def predict(op, resource: str) -> int:
    """LUTs or FFs of one layer under the calibrated model."""
    feats = features(op, resource)
    coeffs = coefficients(op.onnx_node.op_type, resource) or {}
    return int(math.ceil(sum(coeffs.get(k, 1.0) * v for k, v in feats.items())))


def fit(rows: list[tuple[dict[str, float], float]]) -> dict[str, float]:
    """Non-negative coefficients minimizing the squared relative error of ``features -> count``
    over ``rows``."""
    from scipy.optimize import nnls

    names = sorted({k for feats, _ in rows for k in feats})
    a = np.array([[feats.get(k, 0.0) for k in names] for feats, _ in rows])
    y = np.array([count for _, count in rows], dtype=float)
    scale = 1.0 / np.maximum(y, 1.0)
    coef, _ = nnls(a * scale[:, None], y * scale)
    return {k: round(float(c), 5) for k, c in zip(names, coef, strict=True)}


def fit_and_save(data: list[tuple[object, dict]], yosys: str) -> dict:
    """Fit every op type's LUT and FF coefficients to ``(op, measured counts)`` pairs and write
    ``resource_model.json``."""
    by_type: dict[str, list] = {}
    for op, measured in data:
        by_type.setdefault(op.onnx_node.op_type, []).append((op, measured))
    ops = {
        op_type: {
            res: fit([(features(op, res), measured[res]) for op, measured in pairs])
            for res in RESOURCES
        }
        for op_type, pairs in sorted(by_type.items())
    }
    model = {
        "yosys": yosys,
        "synthesis": "synth_xilinx -family xc7 -flatten, -nodsp for the LUT datapath",
        "layers_fitted": len(data),
        "ops": ops,
    }
    MODEL_FILE.write_text(json.dumps(model, indent=1) + "\n")
    _model.cache_clear()
    return model
