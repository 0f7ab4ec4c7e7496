"""The software around the accelerator as data: a build's ``preprocess.onnx`` and
``postprocess.onnx`` (a chain of elementwise and shape operations) become a list of operations
with their constants, which the driver's ``run_processing`` applies with numpy alone."""

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper

from finnflow.errors import UnsupportedOpError
from finnflow.transforms.elementwise import node_attr

BINARY_OPS = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div"}
SUPPORTED = (
    "Reshape",
    "Flatten",
    "Transpose",
    "Identity",
    "Quant",
    "BipolarQuant",
    *BINARY_OPS,
    "Round",
    "Relu",
    "ArgMax",
)


def export_processing(
    model: ModelWrapper | None, prefix: str
) -> tuple[list[dict], dict[str, np.ndarray]]:
    """The nodes of ``model`` as driver operations and their constants (float32 as in the
    graph), named ``<prefix><node index>_<input index>``; an absent model is no operation."""
    ops: list[dict] = []
    arrays: dict[str, np.ndarray] = {}
    if model is None:
        return ops, arrays
    current = model.graph.input[0].name
    for i, node in enumerate(model.graph.node):
        what = f"{model.graph.name}: {node.op_type} node {node.name or i!r}"
        dynamic = [t for t in node.input if t and model.get_initializer(t) is None]
        if dynamic != [current]:
            raise UnsupportedOpError(
                f"{what} does not read the previous node's output alone; the driver applies "
                "only chains of operations"
            )
        if node.op_type not in SUPPORTED:
            raise UnsupportedOpError(
                f"{what}: the driver cannot apply {node.op_type}; it applies {', '.join(SUPPORTED)}"
            )
        op = _operation(node, model, f"{prefix}{i}", arrays, what)
        if op is not None:
            ops.append(op)
        current = node.output[0]
    if current != model.graph.output[0].name:
        raise UnsupportedOpError(f"{model.graph.name}: the chain does not end at the output")
    return ops, arrays


def _operation(node, model: ModelWrapper, key: str, arrays: dict, what: str) -> dict | None:
    """The driver operation of ``node``; its constant inputs go to ``arrays`` as
    ``<key>_<input index>``."""

    def const(j: int) -> str:
        arrays[f"{key}_{j}"] = np.asarray(model.get_initializer(node.input[j]), dtype=np.float32)
        return f"{key}_{j}"

    kind = node.op_type
    if kind == "Identity":
        return None
    if kind == "Reshape":
        shape = [int(s) for s in model.get_initializer(node.input[1])]
        return {"op": "reshape", "shape": shape[1:]}
    if kind == "Flatten":
        if node_attr(node, "axis", 1) != 1:
            raise UnsupportedOpError(f"{what}: only Flatten with axis 1 keeps the batch")
        return {"op": "reshape", "shape": [-1]}
    if kind == "Transpose":
        perm = [int(p) for p in node_attr(node, "perm", [])]
        if not perm or perm[0] != 0:
            raise UnsupportedOpError(f"{what}: a transpose must keep the batch first")
        return {"op": "transpose", "perm": perm}
    if kind == "Quant":
        mode = node_attr(node, "rounding_mode", "ROUND")
        return {
            "op": "quant",
            "scale": const(1),
            "zeropt": const(2),
            "bitwidth": const(3),
            "signed": int(node_attr(node, "signed", 1)),
            "narrow": int(node_attr(node, "narrow", 0)),
            "rounding_mode": mode.decode() if isinstance(mode, bytes) else mode,
        }
    if kind == "BipolarQuant":
        return {"op": "bipolar_quant", "scale": const(1)}
    if kind in BINARY_OPS:
        first = model.get_initializer(node.input[0]) is not None
        return {"op": BINARY_OPS[kind], "const": const(0 if first else 1), "const_first": first}
    if kind == "ArgMax":
        if node_attr(node, "select_last_index", 0):
            raise UnsupportedOpError(f"{what}: select_last_index=1 is not supported")
        return {
            "op": "argmax",
            "axis": int(node_attr(node, "axis", 0)),
            "keepdims": int(node_attr(node, "keepdims", 1)),
        }
    return {"op": kind.lower()}
