"""Network-level estimate: FPS = clock / slowest node's cycles; resources (the calibrated model of
:mod:`finnflow.hw.resources`) summed over the nodes, against the board's usable budget."""

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.boards import RESOURCES, Board
from finnflow.hw.base import bound_op, hw_nodes


def expected_cycles(model: ModelWrapper) -> int:
    """Cycles per frame of the slowest hardware node: the design's steady-state rate."""
    return max(int(getCustomOp(n).get_exp_cycles()) for n in hw_nodes(model))


def node_resources(inst) -> dict[str, int]:
    """LUT, FF, BRAM18, URAM and DSP of one hardware node (a custom op) under the resource
    model, in RESOURCES order."""
    counts = (
        inst.lut_estimation(),
        inst.ff_estimation(),
        inst.bram_estimation(),
        inst.uram_estimation(),
        inst.dsp_estimation(),
    )
    return {r: int(c) for r, c in zip(RESOURCES, counts, strict=True)}


def estimate_layers(model: ModelWrapper) -> dict:
    """Cycles per frame and LUT/FF/BRAM18/URAM/DSP per hardware layer, keyed by node name."""
    layers = {}
    for node in hw_nodes(model):
        inst = bound_op(node, model)
        layers[node.name] = {
            "op_type": node.op_type,
            "cycles": int(inst.get_exp_cycles()),
            **node_resources(inst),
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
        **{r: sum(v[r] for v in layers.values()) for r in ("bram18", "uram", "dsp")},
        "layers": layers,
    }
    if board is not None:
        budget = board.budget()
        est["utilization"] = {r: est[r] / getattr(board, r) for r in RESOURCES if getattr(board, r)}
        est["budget"] = budget
        est["over_budget"] = {r: est[r] - budget[r] for r in RESOURCES if est[r] > budget[r]}
        est["fits_board"] = not est["over_budget"]
    return est
