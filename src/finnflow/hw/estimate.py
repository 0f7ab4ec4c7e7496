"""Network-level estimate: FPS = clock / slowest node's cycles; resources (the calibrated model of
:mod:`finnflow.hw.resources`) summed over the nodes."""

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.boards import Board
from finnflow.hw.base import hw_nodes


def estimate_layers(model: ModelWrapper) -> dict:
    """Cycles per frame and LUT/BRAM18/DSP per hardware layer, keyed by node name."""
    layers = {}
    for node in hw_nodes(model):
        inst = getCustomOp(node)
        layers[node.name] = {
            "op_type": node.op_type,
            "cycles": int(inst.get_exp_cycles()),
            "lut": int(inst.lut_estimation()),
            "ff": int(inst.ff_estimation()),
            "bram18": int(inst.bram_estimation()),
            "dsp": int(inst.dsp_estimation()),
        }
    return layers


def estimate_network(model: ModelWrapper, clock_mhz: float, board: Board | None = None) -> dict:
    layers = estimate_layers(model)
    bottleneck = max(layers, key=lambda k: layers[k]["cycles"])
    max_cycles = layers[bottleneck]["cycles"]
    est = {
        "max_cycles": max_cycles,
        "bottleneck": bottleneck,
        "fps": clock_mhz * 1e6 / max_cycles,
        "lut": sum(v["lut"] for v in layers.values()),
        "ff": sum(v["ff"] for v in layers.values()),
        "bram18": sum(v["bram18"] for v in layers.values()),
        "dsp": sum(v["dsp"] for v in layers.values()),
        "layers": layers,
    }
    if board is not None:
        util = {r: est[r] / getattr(board, r) for r in ("lut", "ff", "bram18", "dsp")}
        est["utilization"] = util
        est["fits_board"] = all(u <= 1.0 for u in util.values())
    return est
