"""Folding (PE/SIMD per layer) in FINN's folding-config JSON format.

``{"Defaults": {}, "MVAU_0": {"PE": 16, "SIMD": 49, "ram_style": "auto"}, ...}``: keys are node
names, values set node attributes, and ``Defaults`` maps an attribute to ``[value, [op types]]``
as in FINN's ``ApplyConfig``, so configs move between FINN and finnflow. Each layer declares
which attributes a config may set (``get_folding_attrs``) and which parallelism attributes must
divide which dimension (``get_folding_params``); nothing here knows a layer type. An MVAU's
``resType`` ("lut" or "dsp") chooses its datapath; ``mem_mode`` and a FIFO's ``impl_style`` are
kept for FINN, while finnflow's RTL always embeds the weights and uses its own FIFO."""

import json
import math
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation

from finnflow.errors import FoldingError
from finnflow.hw.base import divisors, hw_nodes


def folding_config(model: ModelWrapper) -> dict:
    """The folding of every hardware node (layers, converters, FIFOs), as FINN writes it."""
    cfg: dict = {"Defaults": {}}
    for node in hw_nodes(model):
        inst = getCustomOp(node)
        cfg[node.name] = {a: inst.get_nodeattr(a) for a in inst.get_folding_attrs()}
    return cfg


def load_folding(source: dict | str | Path) -> dict:
    """A folding config from a mapping or a JSON file, checked to be ``{layer: {attr: value}}``."""
    if isinstance(source, dict):
        config = source
    else:
        path = Path(source)
        if not path.is_file():
            raise FoldingError(f"folding config {path} does not exist")
        try:
            config = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise FoldingError(f"folding config {path} is not valid JSON: {e}") from e
    if not isinstance(config, dict) or not all(isinstance(v, dict) for v in config.values()):
        raise FoldingError(
            'a folding config maps layer names to attributes: {"MVAU_0": {"PE": 4, "SIMD": 8}}'
        )
    return config


def _defaults(config: dict, op_type: str) -> dict:
    """FINN's ``Defaults`` entry: ``{attr: [value, [op types] or "all"]}``."""
    out = {}
    for attr, spec in config.get("Defaults", {}).items():
        if not (isinstance(spec, list) and len(spec) == 2):
            raise FoldingError(f'Defaults: {attr!r} must be [value, [op types] or "all"]')
        value, op_types = spec
        if op_types == "all" or op_type in op_types:
            out[attr] = value
    return out


def verify_folding(model: ModelWrapper) -> None:
    for node in hw_nodes(model):
        getCustomOp(node).verify_folding()


class ApplyFolding(Transformation):
    """Set folding attributes from a FINN-format config, then check every layer's folding.

    With ``strict`` a config entry naming no node of the model is an error; without, entries
    for nodes inserted later (FIFOs, converters) are left for a second, strict application."""

    def __init__(self, config: dict | str | Path, strict: bool = True):
        super().__init__()
        self.config = load_folding(config)
        self.strict = strict

    def apply(self, model: ModelWrapper):
        nodes = {n.name: n for n in hw_nodes(model)}
        unknown = [name for name in self.config if name != "Defaults" and name not in nodes]
        if unknown and self.strict:
            raise FoldingError(
                f"folding config names layer {unknown[0]!r}, which is not in the model; "
                f"its hardware layers are {', '.join(nodes) or 'none'}"
            )
        for name, node in nodes.items():
            inst = getCustomOp(node)
            allowed = inst.get_folding_attrs()
            defaults = {
                a: v for a, v in _defaults(self.config, node.op_type).items() if a in allowed
            }
            attrs = {**defaults, **self.config.get(name, {})}
            for attr, value in attrs.items():
                if attr not in allowed:
                    raise FoldingError(
                        f"{name}: {attr!r} is not a folding attribute of {node.op_type}; "
                        f"use {', '.join(allowed)}"
                    )
                try:
                    inst.set_nodeattr(attr, value)
                except Exception as e:
                    raise FoldingError(f"{name}: invalid {attr}={value!r}: {e}") from e
        verify_folding(model)
        return model, False


class SetFolding(Transformation):
    """Least parallelism per layer that reaches ``target_cycles`` per frame (FINN's SetFolding
    idea): starting from all ones, each folding parameter in the layer's order (an MVAU's SIMD,
    then PE) grows through the divisors of its dimension until the layer reaches the target.
    A layer that cannot reach the target is fully unfolded; a sliding window at SIMD = channels
    that is still too slow then emits whole windows (``parallel_window``), as FINN's does.

    ``mvau_wwidth_max`` is FINN's option of that name (FINN's default: 36): SIMD stops growing
    before SIMD x weight bits exceeds it, unless that SIMD reaches the target, and PE grows
    instead. None (finnflow's default) lets SIMD grow to the layer's width."""

    def __init__(self, target_cycles: int, mvau_wwidth_max: int | None = None):
        super().__init__()
        self.target = max(1, int(target_cycles))
        self.wwidth_max = mvau_wwidth_max

    def apply(self, model: ModelWrapper):
        for node in hw_nodes(model):
            inst = getCustomOp(node)
            params = inst.get_folding_params()
            window = "parallel_window" in inst.get_folding_attrs()
            for attr in (*params, *(("parallel_window",) if window else ())):
                inst.set_nodeattr(attr, 1 if attr in params else 0)
            capped = self.wwidth_max is not None and hasattr(inst, "get_weight_datatype")
            wbits = inst.get_weight_datatype().bitwidth() if capped else 0
            for attr, dim in params.items():
                for value in divisors(inst.get_nodeattr(dim)):
                    previous = inst.get_nodeattr(attr)
                    inst.set_nodeattr(attr, value)
                    if inst.get_exp_cycles() <= self.target:
                        break
                    if attr == "SIMD" and capped and value * wbits > self.wwidth_max:
                        inst.set_nodeattr(attr, previous)
                        break
            if window and inst.get_exp_cycles() > self.target:
                inst.set_nodeattr("parallel_window", 1)
                if inst.verify_node():
                    inst.set_nodeattr("parallel_window", 0)
        return model, False


def target_cycles(clock_mhz: float, target_fps: float) -> int:
    return max(1, math.floor(clock_mhz * 1e6 / target_fps))
