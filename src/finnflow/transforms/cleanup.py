"""Graph cleanup before streamlining: supported-op check and Gemm lowering."""

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.cleanup import cleanup_model

from finnflow.errors import UnsupportedOpError
from finnflow.transforms.conv import LowerConvsToChannelsLast
from finnflow.transforms.elementwise import node_attr

SUPPORTED_OPS = (
    "Quant",
    "BipolarQuant",
    "Gemm",
    "MatMul",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "BatchNormalization",
    "Relu",
    "Clip",
    "Identity",
    "Flatten",
    "Reshape",
    "Transpose",
    "Conv",
    "MaxPool",
)


class CheckSupportedOps(Transformation):
    """Fail early, naming the node, on an op the flow cannot map."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type not in SUPPORTED_OPS:
                raise UnsupportedOpError(
                    f"unsupported op {node.op_type!r} (node {node.name!r}): finnflow maps "
                    f"QONNX networks built from {', '.join(SUPPORTED_OPS)}. "
                    "Remove or replace the op in the model (for example export the network "
                    "without it and apply it in software after the accelerator)."
                )
        return model, False


class LowerGemm(Transformation):
    """Gemm (any transA/transB/alpha/beta, with or without C) -> [Transpose] MatMul [Mul] [Add].

    Written for bias-free Gemm nodes as torch's dynamo exporter emits them, on which qonnx's
    GemmToMatMul fails."""

    def apply(self, model: ModelWrapper):
        graph = model.graph
        for idx, node in enumerate(graph.node):
            if node.op_type != "Gemm":
                continue
            a, b = node.input[0], node.input[1]
            c = node.input[2] if len(node.input) > 2 and node.input[2] else None
            new_nodes = []
            for flag, name in (("transA", "a"), ("transB", "b")):
                if node_attr(node, flag, 0):
                    src = a if name == "a" else b
                    t_out = model.make_new_valueinfo_name()
                    new_nodes.append(helper.make_node("Transpose", [src], [t_out], perm=[1, 0]))
                    if name == "a":
                        a = t_out
                    else:
                        b = t_out
            out = node.output[0]
            alpha, beta = node_attr(node, "alpha", 1.0), node_attr(node, "beta", 1.0)
            mm_out = model.make_new_valueinfo_name() if (alpha != 1.0 or c) else out
            new_nodes.append(helper.make_node("MatMul", [a, b], [mm_out]))
            if alpha != 1.0:
                alpha_name = model.make_new_valueinfo_name()
                model.set_initializer(alpha_name, np.asarray(alpha, dtype=np.float32))
                scaled = model.make_new_valueinfo_name() if c else out
                new_nodes.append(helper.make_node("Mul", [mm_out, alpha_name], [scaled]))
                mm_out = scaled
            if c:
                c_in = c
                if beta != 1.0:
                    beta_name = model.make_new_valueinfo_name()
                    c_in = model.make_new_valueinfo_name()
                    model.set_initializer(beta_name, np.asarray(beta, dtype=np.float32))
                    new_nodes.append(helper.make_node("Mul", [c, beta_name], [c_in]))
                new_nodes.append(helper.make_node("Add", [mm_out, c_in], [out]))
            graph.node.remove(node)
            for offset, n in enumerate(new_nodes):
                graph.node.insert(idx + offset, n)
            model = model.transform(InferShapes())
            return model, True
        return model, False


def cleanup(model: ModelWrapper) -> ModelWrapper:
    """qonnx cleanup, Gemm lowering, then convolutions in channels-last form; Quant nodes on
    weights are kept for FoldQuantWeights."""
    model = cleanup_model(model)
    model = model.transform(CheckSupportedOps())
    model = model.transform(LowerGemm())
    model = model.transform(LowerConvsToChannelsLast())
    return cleanup_model(model)
