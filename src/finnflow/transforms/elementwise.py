"""Per-channel elementwise chains (Mul/Add/BatchNorm/Relu/... with constant operands).

Streamlining folds such a chain, together with the quantizer that ends it, into integer
thresholds; these helpers find a chain in the graph and evaluate it exactly in float64.
"""

import numpy as np
from onnx import NodeProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.util.basic import get_by_name

ARITH_OPS = ("Mul", "Add", "Sub", "Div")
ELEMENTWISE_OPS = (*ARITH_OPS, "BatchNormalization", "Relu", "Clip", "Identity")


def node_attr(node: NodeProto, name: str, default):
    """Value of an ONNX node attribute, or ``default`` when it is absent."""
    attr = get_by_name(node.attribute, name)
    return default if attr is None else helper.get_attribute_value(attr)


def new_constant(model: ModelWrapper, value, dtype=np.float32) -> str:
    """A new initializer holding ``value``; returns its name."""
    name = model.make_new_valueinfo_name()
    model.set_initializer(name, np.asarray(value, dtype=dtype))
    return name


def computed_tensors(model: ModelWrapper) -> set[str]:
    """The tensors computed from the graph's (non-initializer) inputs, as opposed to constants
    and what only constants feed (weights behind their quantizers)."""
    found = {i.name for i in model.graph.input if model.get_initializer(i.name) is None}
    for node in model.graph.node:
        if any(i in found for i in node.input):
            found.update(node.output)
    return found


def dynamic_input(model: ModelWrapper, node: NodeProto) -> str | None:
    """The single non-constant input of an elementwise node, or None if it has not exactly one."""
    dyn = [i for i in node.input if i and model.get_initializer(i) is None]
    if node.op_type in ("BatchNormalization", "Clip", "Relu", "Identity"):
        return node.input[0] if dyn == [node.input[0]] else None
    return dyn[0] if len(dyn) == 1 else None


def trace_chain(
    model: ModelWrapper, tensor: str, stop
) -> tuple[str, list[NodeProto]] | tuple[None, None]:
    """Walk back from ``tensor`` through elementwise nodes until ``stop(name)`` is true.

    Returns the tensor where the walk stopped and the chain in execution order, or (None, None)
    when a non-elementwise node or a branch is met first."""
    nodes: list[NodeProto] = []
    current = tensor
    while not stop(current):
        node = model.find_producer(current)
        if node is None or node.op_type not in ELEMENTWISE_OPS:
            return None, None
        nxt = dynamic_input(model, node)
        if nxt is None or (node.op_type == "Div" and node.input[0] != nxt):
            return None, None  # c / x is not monotonic
        if nodes and len(model.find_consumers(current)) != 1:
            return None, None
        nodes.insert(0, node)
        current = nxt
    return current, nodes


def evaluate_chain(model: ModelWrapper, nodes: list[NodeProto], x: np.ndarray) -> np.ndarray:
    """Apply the chain to ``x`` (channels on the last axis) in float64."""
    y = np.asarray(x, dtype=np.float64)
    for node in nodes:
        op = node.op_type
        if op in ARITH_OPS:
            const_name = next(i for i in node.input if model.get_initializer(i) is not None)
            c = model.get_initializer(const_name).astype(np.float64)
            const_first = node.input[0] == const_name
            if op == "Mul":
                y = y * c
            elif op == "Add":
                y = y + c
            elif op == "Sub":
                y = c - y if const_first else y - c
            else:
                y = c / y if const_first else y / c
        elif op == "BatchNormalization":
            scale, bias, mean, var = (
                model.get_initializer(i).astype(np.float64) for i in node.input[1:5]
            )
            eps = node_attr(node, "epsilon", 1e-5)
            y = (y - mean) / np.sqrt(var + eps) * scale + bias
        elif op == "Relu":
            y = np.maximum(y, 0.0)
        elif op == "Clip":
            lo = model.get_initializer(node.input[1]) if len(node.input) > 1 else None
            hi = model.get_initializer(node.input[2]) if len(node.input) > 2 else None
            y = np.clip(y, -np.inf if lo is None else lo, np.inf if hi is None else hi)
    return y


def per_channel_affine(
    model: ModelWrapper, nodes: list[NodeProto], channels: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """(a, b) with chain(x) == a * x + b per channel, or None if the chain is not affine."""
    probe = np.array([[0.0], [1.0], [7.0], [-5.0]]) * np.ones((1, channels))
    y = evaluate_chain(model, nodes, probe)
    b = y[0]
    a = y[1] - y[0]
    if not np.allclose(y, probe * a + b, rtol=1e-9, atol=1e-9 * (np.abs(b).max() + 1)):
        return None
    return a, b
