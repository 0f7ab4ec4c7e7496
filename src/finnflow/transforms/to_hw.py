"""Conversion of the streamlined integer graph to hardware layers with FINN's attribute names."""

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.general import GiveUniqueNodeNames
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.remove import RemoveUnusedNodes

from finnflow.datatypes import int_type_for_range, is_integer
from finnflow.errors import UnsupportedOpError
from finnflow.hw.base import DOMAIN, is_hw_node
from finnflow.transforms.elementwise import node_attr, per_channel_affine, trace_chain
from finnflow.transforms.streamline import threshold_initializer

HW_OPS = (
    "MVAU",
    "Thresholding",
    "LabelSelect",
    "ConvolutionInputGenerator",
    "FMPadding",
    "StreamingMaxPool",
)


def _single_consumer(model: ModelWrapper, tensor: str, op_type: str):
    consumers = model.find_consumers(tensor)
    if len(consumers) == 1 and consumers[0].op_type == op_type:
        return consumers[0]
    return None


def _threshold_attrs(model: ModelWrapper, mt) -> tuple[np.ndarray, DataType, int]:
    inst = getCustomOp(mt)
    return (
        model.get_initializer(mt.input[1]),
        DataType[inst.get_nodeattr("out_dtype")],
        int(inst.get_nodeattr("out_bias")),
    )


class InferMVAU(Transformation):
    """MatMul(int x, int W) [-> MultiThreshold] -> MVAU.

    Binary input with bipolar weights becomes XNOR-popcount (``binaryXnorMode``): weights are
    re-encoded as {0, 1} and, since popcount = x @ W + (#-1 weights of the column), thresholds
    shift by that count; without activation an ``Add`` restores x @ W after the MVAU."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type != "MatMul":
                continue
            w = model.get_initializer(node.input[1])
            idt = model.get_tensor_datatype(node.input[0])
            wdt = model.get_tensor_datatype(node.input[1])
            if w is None or not (is_integer(idt) and is_integer(wdt)):
                continue
            mw, mh = w.shape
            acc_t = node.output[0]
            adt = model.get_tensor_datatype(acc_t)
            in_shape = model.get_tensor_shape(node.input[0])
            xnor = idt == DataType["BINARY"] and wdt == DataType["BIPOLAR"]
            n_neg = (w < 0).sum(axis=0)
            mt = _single_consumer(model, acc_t, "MultiThreshold")
            inputs = [node.input[0], node.input[1]]
            remove = [node]
            if xnor:
                w_bin = model.make_new_valueinfo_name()
                model.set_initializer(w_bin, ((w + 1) / 2).astype(np.float32))
                model.set_tensor_datatype(w_bin, DataType["BINARY"])
                inputs[1] = w_bin
                idt = wdt = DataType["BINARY"]
                adt = int_type_for_range(0, mw)
            attrs = dict(
                MW=int(mw),
                MH=int(mh),
                PE=1,
                SIMD=1,
                inputDataType=idt.name,
                weightDataType=wdt.name,
                accDataType=adt.name,
                binaryXnorMode=int(xnor),
                numInputVectors=[int(d) for d in in_shape[:-1]],
            )
            new_nodes = []
            if mt is not None:
                t, odt, act_val = _threshold_attrs(model, mt)
                if xnor:
                    t = t + n_neg[:, None]
                t_name = threshold_initializer(model, t)
                inputs.append(t_name)
                out = mt.output[0]
                attrs.update(noActivation=0, ActVal=act_val, outputDataType=odt.name)
                remove.append(mt)
            else:
                attrs.update(noActivation=1, ActVal=0, outputDataType=adt.name)
                out = acc_t
                if xnor:
                    out = model.make_new_valueinfo_name()
                    shift = model.make_new_valueinfo_name()
                    model.set_initializer(shift, (-n_neg).astype(np.float32))
                    new_nodes.append(helper.make_node("Add", [out, shift], [acc_t]))
            mvau = helper.make_node("MVAU", inputs, [out], domain=DOMAIN, **attrs)
            pos = list(model.graph.node).index(node)
            for n in remove:
                model.graph.node.remove(n)
            for i, n in enumerate([mvau, *new_nodes]):
                model.graph.node.insert(pos + i, n)
            model.set_tensor_datatype(out, DataType[attrs["outputDataType"]])
            return model.transform(InferShapes()), True
        return model, False


class InferThresholding(Transformation):
    """A MultiThreshold on an integer tensor that no MVAU absorbed -> standalone Thresholding."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type != "MultiThreshold":
                continue
            idt = model.get_tensor_datatype(node.input[0])
            if not is_integer(idt):
                continue
            t, odt, act_val = _threshold_attrs(model, node)
            shape = model.get_tensor_shape(node.input[0])
            th = helper.make_node(
                "Thresholding",
                [node.input[0], node.input[1]],
                [node.output[0]],
                domain=DOMAIN,
                NumChannels=int(shape[-1]),
                PE=1,
                numSteps=int(t.shape[1]),
                inputDataType=idt.name,
                weightDataType=model.get_tensor_datatype(node.input[1]).name,
                outputDataType=odt.name,
                ActVal=act_val,
                numInputVectors=[int(d) for d in shape[:-1]],
            )
            pos = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            model.graph.node.insert(pos, th)
            return model, True
        return model, False


class InferConvInpGen(Transformation):
    """Im2Col on an integer image -> [FMPadding ->] ConvolutionInputGenerator (FINN's sliding
    window generator; the padding is a layer of its own, as in FINN)."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type != "Im2Col":
                continue
            idt = model.get_tensor_datatype(node.input[0])
            if not is_integer(idt):
                continue
            n, h, w, c = model.get_tensor_shape(node.input[0])
            kh, kw = node_attr(node, "kernel_size", [1, 1])
            pads = list(node_attr(node, "pad_amount", [0, 0, 0, 0]))
            if any(pads) and node_attr(node, "pad_value", 0) != 0:
                raise UnsupportedOpError(
                    f"{node.name}: padding with the integer level "
                    f"{node_attr(node, 'pad_value', 0)}; the hardware pads with 0"
                )
            new, src = [], node.input[0]
            if any(pads):
                padded = model.make_new_valueinfo_name()
                top, left, bottom, right = pads
                h, w = h + top + bottom, w + left + right
                new.append(
                    helper.make_node(
                        "FMPadding",
                        [src],
                        [padded],
                        domain=DOMAIN,
                        ImgDim=[h - top - bottom, w - left - right],
                        Padding=pads,
                        NumChannels=c,
                        SIMD=1,
                        inputDataType=idt.name,
                        outputDataType=idt.name,
                        numInputVectors=[n],
                    )
                )
                model.set_tensor_shape(padded, [n, h, w, c])
                model.set_tensor_datatype(padded, idt)
                src = padded
            _, oh, ow, _ = model.get_tensor_shape(node.output[0])
            new.append(
                helper.make_node(
                    "ConvolutionInputGenerator",
                    [src],
                    [node.output[0]],
                    domain=DOMAIN,
                    ConvKernelDim=[kh, kw],
                    IFMChannels=c,
                    IFMDim=[h, w],
                    OFMDim=[oh, ow],
                    Stride=list(node_attr(node, "stride", [1, 1])),
                    Dilation=[1, 1],
                    SIMD=1,
                    inputDataType=idt.name,
                    outputDataType=idt.name,
                    numInputVectors=[n],
                )
            )
            _replace(model, node, new)
            return model, True
        return model, False


class InferStreamingMaxPool(Transformation):
    """MaxPoolNHWC (stride = kernel) on an integer image -> StreamingMaxPool."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type != "MaxPoolNHWC":
                continue
            idt = model.get_tensor_datatype(node.input[0])
            if not is_integer(idt):
                continue
            n, h, w, c = model.get_tensor_shape(node.input[0])
            pool = helper.make_node(
                "StreamingMaxPool",
                [node.input[0]],
                [node.output[0]],
                domain=DOMAIN,
                ImgDim=[h, w],
                PoolDim=list(node_attr(node, "kernel_shape", [1, 1])),
                NumChannels=c,
                PE=1,
                CeilMode=0,
                inputDataType=idt.name,
                outputDataType=idt.name,
                numInputVectors=[n],
            )
            _replace(model, node, [pool])
            return model, True
        return model, False


class RemoveFlatten(Transformation):
    """A Flatten between two hardware layers is a no-op on the stream (the elements keep their
    order): the consumer reads the image directly."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type not in ("Flatten", "Reshape"):
                continue
            producer = model.find_producer(node.input[0])
            consumers = model.find_consumers(node.output[0]) or []
            if producer is None or not is_hw_node(producer):
                continue
            if len(consumers) != 1 or not is_hw_node(consumers[0]):
                continue
            consumers[0].input[0] = node.input[0]
            model.graph.node.remove(node)
            return model, True
        return model, False


def _replace(model: ModelWrapper, node, new_nodes) -> None:
    pos = list(model.graph.node).index(node)
    model.graph.node.remove(node)
    for i, n in enumerate(new_nodes):
        model.graph.node.insert(pos + i, n)


def label_select_source(model: ModelWrapper) -> str | None:
    """The hardware output whose argmax equals the argmax of the graph output, if there is one.

    That holds when the software chain from the last hardware layer to the output is
    ``a * x + b`` with the same positive ``a`` and the same ``b`` for every class."""
    out = model.graph.output[0].name

    def is_hw_output(name):
        producer = model.find_producer(name)
        return producer is not None and is_hw_node(producer)

    src, chain = trace_chain(model, out, is_hw_output)
    if src is None:
        return None
    channels = model.get_tensor_shape(src)[-1]
    affine = per_channel_affine(model, chain, channels)
    if affine is None:
        return None
    a, b = affine
    same_scale = np.allclose(a, a[0], rtol=1e-9, atol=0)
    same_offset = np.allclose(b, b[0], rtol=0, atol=1e-9 * abs(a[0]))
    return src if same_scale and same_offset and a[0] > 0 else None


class InsertLabelSelect(Transformation):
    """Add a top-K LabelSelect on the last hardware output as a second graph output, ``label``,
    when the argmax of the network output can be taken on that integer tensor."""

    def __init__(self, k: int = 1):
        super().__init__()
        self.k = k

    def apply(self, model: ModelWrapper):
        if model.get_nodes_by_op_type("LabelSelect"):
            return model, False
        src = label_select_source(model)
        if src is None:
            return model, False
        shape = model.get_tensor_shape(src)
        labels = int(shape[-1])
        odt = int_type_for_range(0, labels - 1)
        node = helper.make_node(
            "LabelSelect",
            [src],
            ["label"],
            domain=DOMAIN,
            Labels=labels,
            PE=1,
            K=self.k,
            inputDataType=model.get_tensor_datatype(src).name,
            outputDataType=odt.name,
            numInputVectors=[int(d) for d in shape[:-1]],
        )
        model.graph.node.append(node)
        out_vi = helper.make_tensor_value_info("label", 1, [*shape[:-1], self.k])
        model.graph.output.append(out_vi)
        model.set_tensor_datatype("label", odt)
        return model, True


def convert_to_hw(model: ModelWrapper) -> ModelWrapper:
    """Streamlined graph -> hardware layers, named ``MVAU_0``, ``MVAU_1``, ... in graph order."""
    passes = (
        InferConvInpGen(),
        InferStreamingMaxPool(),
        InferMVAU(),
        InferThresholding(),
        RemoveFlatten(),
        InsertLabelSelect(),
        RemoveUnusedNodes(),
    )
    for t in passes:
        model = model.transform(t)
    return model.transform(GiveUniqueNodeNames()).transform(InferShapes())
