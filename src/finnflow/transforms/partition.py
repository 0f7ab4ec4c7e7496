"""Explicit split of a hardware-layer graph into software pre-processing, the dataflow region
(hardware layers only) and optional software post-processing."""

from dataclasses import dataclass

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model

from finnflow.datatypes import is_integer
from finnflow.errors import UnsupportedOpError
from finnflow.hw.base import hw_nodes, is_hw_node
from finnflow.transforms.elementwise import per_channel_affine, trace_chain


@dataclass
class Partition:
    preprocess: ModelWrapper
    dataflow: ModelWrapper
    postprocess: ModelWrapper | None


@dataclass
class OutputMap:
    """Graph output = scale * int_tensor + offset per class: maps float outputs to integers."""

    int_tensor: str
    scale: np.ndarray
    offset: np.ndarray

    def to_int(self, logits: np.ndarray) -> tuple[np.ndarray, float]:
        """Integers behind ``logits`` and the worst distance from an integer (in steps)."""
        raw = (np.asarray(logits, dtype=np.float64) - self.offset) / self.scale
        return np.rint(raw).astype(np.int64), float(np.abs(raw - np.rint(raw)).max(initial=0))


def output_map(model: ModelWrapper) -> OutputMap:
    """Find the integer tensor behind the (affine) software tail of a streamlined graph."""
    out = model.graph.output[0].name
    src, chain = trace_chain(model, out, lambda t: is_integer(model.get_tensor_datatype(t)))
    if src is None:
        raise UnsupportedOpError(
            "the network output is not an elementwise function of an integer tensor: the last "
            "layer could not be streamlined"
        )
    affine = per_channel_affine(model, chain, model.get_tensor_shape(out)[-1])
    if affine is None:
        raise UnsupportedOpError("the software tail after the last layer is not affine")
    return OutputMap(src, *affine)


def subgraph(model: ModelWrapper, inputs: list[str], outputs: list[str], name: str) -> ModelWrapper:
    """The nodes computing ``outputs`` from ``inputs`` as a model of its own, annotations kept."""
    needed, nodes, stack = set(), [], list(outputs)
    while stack:
        t = stack.pop()
        if t in inputs or t in needed:
            continue
        needed.add(t)
        producer = model.find_producer(t)
        if producer is None:
            continue
        if producer not in nodes:
            nodes.append(producer)
        stack += [i for i in producer.input if i and model.get_initializer(i) is None]
    order = {id(n): i for i, n in enumerate(model.graph.node)}
    nodes.sort(key=lambda n: order[id(n)])
    passthrough = [t for t in outputs if t in inputs]
    renamed = {t: f"{t}_out" for t in passthrough}
    nodes += [helper.make_node("Identity", [t], [renamed[t]]) for t in passthrough]
    outputs = [renamed.get(t, t) for t in outputs]
    used = {i for n in nodes for i in n.input}
    inits = [init for init in model.graph.initializer if init.name in used]

    original = {new: old for old, new in renamed.items()}

    def vi(t):
        return helper.make_tensor_value_info(t, 1, model.get_tensor_shape(original.get(t, t)))

    graph = helper.make_graph(
        nodes, name, [vi(t) for t in inputs], [vi(t) for t in outputs], initializer=inits
    )
    sub = ModelWrapper(qonnx_make_model(graph, opset_imports=list(model.model.opset_import)))
    for t in used | set(outputs) | set(inputs):
        dt = model.get_tensor_datatype(original.get(t, t))
        if is_integer(dt):
            sub.set_tensor_datatype(t, dt)
    return sub.transform(InferShapes())


def split_dataflow(model: ModelWrapper) -> Partition:
    """Split at the hardware layers, which must form one chain from the preprocessing to the
    dataflow output. The post-processing (software tail and argmax) exists unless the chain
    ends in a graph output (a label computed in hardware)."""
    hw = hw_nodes(model)
    if not hw:
        raise UnsupportedOpError("no layer of the network could be converted to hardware")
    for prev, node in zip(hw, hw[1:], strict=False):
        if node.input[0] != prev.output[0]:
            between = model.find_producer(node.input[0])
            what = f"{between.op_type!r} (node {between.name!r})" if between else "a graph input"
            raise UnsupportedOpError(
                f"{what} sits between hardware layers {prev.name} and {node.name} and cannot be "
                "mapped to hardware"
            )
    first_in, df_out = hw[0].input[0], hw[-1].output[0]
    pre = subgraph(model, [model.graph.input[0].name], [first_in], "preprocess")
    dataflow = subgraph(model, [first_in], [df_out], "dataflow")
    post = None
    if df_out not in {o.name for o in model.graph.output}:
        logits = model.graph.output[0].name
        post = subgraph(model, [df_out], [logits], "postprocess")
        inner = [n for n in post.graph.node if is_hw_node(n)]
        if inner:
            raise UnsupportedOpError(
                f"the software after the last hardware layer reads the output of {inner[-1].name}"
                ", an intermediate hardware layer; such a branch cannot be mapped to hardware"
            )
        post.graph.node.append(helper.make_node("ArgMax", [logits], ["label"], axis=-1))
        post.graph.output.append(helper.make_tensor_value_info("label", 7, [1, 1]))
        post.graph.output.remove(post.graph.output[0])
    return Partition(pre, dataflow, post)
