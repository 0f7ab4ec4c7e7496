"""Batched execution of QONNX graphs (qonnx's ``execute_onnx``, node by node)."""

import numpy as np
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.custom_op.general.bipolar_quant import binary_quant
from qonnx.custom_op.general.intquant import int_quant
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes

from finnflow.hw.base import hw_nodes
from finnflow.transforms.elementwise import computed_tensors


def with_batch_size(model: ModelWrapper, batch: int) -> ModelWrapper:
    """A copy of ``model`` whose first dimension (inputs, outputs, intermediates) is ``batch``.

    Every tensor computed from the graph input keeps its shape but for the batch (as qonnx's
    ChangeBatchSize, which forgets the intermediate shapes, cannot for ops whose shape inference
    reads their input's shape, such as MaxPoolNHWC)."""
    copy = ModelWrapper(model.model.SerializeToString())
    graph = copy.graph
    dynamic = computed_tensors(copy)
    for node in graph.node:
        if node.op_type == "Reshape" and node.input[0] in dynamic:
            if copy.get_initializer(node.input[1]) is not None:
                shape = copy.get_initializer(node.input[1]).copy()
                shape[0] = batch
                copy.set_initializer(node.input[1], shape)
    for vi in (*graph.input, *graph.output, *graph.value_info):
        dims = vi.type.tensor_type.shape.dim
        if vi.name in dynamic and len(dims):
            dims[0].dim_value = batch
    for node in hw_nodes(copy):
        getCustomOp(node).set_batch_size(batch)
    return copy.transform(InferShapes())


def execute_float64(model: ModelWrapper, x: np.ndarray) -> dict:
    """Run a (reference) QONNX graph node by node in float64 and return every tensor.

    Standard ops use ONNX's reference implementation, Quant/BipolarQuant qonnx's quantizer
    functions (its ops would cast to float32), other custom ops their qonnx execution.
    Rounding real values to integer levels is then exact; in float32 a value within a few ulps
    of a rounding tie can land on either side, depending even on the batch it is computed in."""
    model = with_batch_size(model, len(x))
    ctx = {init.name: numpy_helper.to_array(init) for init in model.graph.initializer}
    ctx = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in ctx.items()}
    ctx[model.graph.input[0].name] = _frames(model, x, np.float64)
    for node in model.graph.node:
        if node.domain in ("", "ai.onnx"):
            io = helper.make_empty_tensor_value_info
            graph = helper.make_graph(
                [node], "n", [io(i) for i in node.input if i], [io(o) for o in node.output if o]
            )
            sub = helper.make_model(graph, opset_imports=model.model.opset_import)
            outs = ReferenceEvaluator(sub).run(None, {i: ctx[i] for i in node.input if i})
            ctx.update((k, v) for k, v in zip(node.output, outs, strict=False) if k)
        elif node.op_type in ("Quant", "IntQuant"):
            inst = getCustomOp(node)
            x_in, scale, zp, bits = (ctx[i] for i in node.input[:4])
            attrs = (inst.get_nodeattr(a) for a in ("signed", "narrow", "rounding_mode"))
            ctx[node.output[0]] = int_quant(x_in, scale, zp, bits, *attrs)
        elif node.op_type == "BipolarQuant":
            ctx[node.output[0]] = binary_quant(ctx[node.input[0]], ctx[node.input[1]])
        else:
            getCustomOp(node).execute_node(ctx, model.graph)
    return ctx


def _frames(model: ModelWrapper, x: np.ndarray, dtype) -> np.ndarray:
    """The batch ``x`` (frames flat or shaped) in the model's input shape, batch first."""
    x = np.asarray(x, dtype=dtype)
    shape = model.get_tensor_shape(model.graph.input[0].name)
    return x.reshape(len(x), *shape[1:]) if shape else x


def execute(model: ModelWrapper, x: np.ndarray, full_context: bool = False) -> dict:
    """Run ``model`` on the batch ``x`` (frames flat or in the input's shape) and return its
    outputs by name, or every tensor of the graph when ``full_context`` is set."""
    x = _frames(model, x, np.float32)
    batched = with_batch_size(model, len(x))
    return execute_onnx(batched, {batched.graph.input[0].name: x}, full_context)
