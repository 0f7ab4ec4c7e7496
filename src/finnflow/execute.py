"""Batched execution of QONNX graphs (qonnx's ``execute_onnx``, node by node)."""

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
from qonnx.transformation.change_batchsize import ChangeBatchSize
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes

from finnflow.hw.base import DOMAIN


def with_batch_size(model: ModelWrapper, batch: int) -> ModelWrapper:
    """A copy of ``model`` whose first dimension (inputs, outputs, intermediates) is ``batch``."""
    copy = ModelWrapper(model.model.SerializeToString()).transform(ChangeBatchSize(batch))
    for out in copy.graph.output[1:]:
        out.type.tensor_type.shape.dim[0].dim_value = batch
    for node in copy.graph.node:
        if node.domain == DOMAIN:
            inst = getCustomOp(node)
            inst.set_nodeattr("numInputVectors", [batch, *inst.get_nodeattr("numInputVectors")[1:]])
    return copy.transform(InferShapes())


def execute(model: ModelWrapper, x: np.ndarray, full_context: bool = False) -> dict:
    """Run ``model`` on the batch ``x`` (float32) and return its outputs by name, or every tensor
    of the graph when ``full_context`` is set."""
    x = np.asarray(x, dtype=np.float32)
    batched = with_batch_size(model, len(x))
    return execute_onnx(batched, {batched.graph.input[0].name: x}, full_context)
