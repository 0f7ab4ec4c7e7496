"""Convolutional networks in channels-last (NHWC) form, as FINN lowers them.

``LowerConvsToChannelsLast`` rewrites the NCHW part of an exported graph once, after cleanup:
``Conv`` becomes qonnx's ``Im2Col`` (windows in (ky, kx, c) order, c fastest) and a ``MatMul``
with the weights reshaped to ``[kh * kw * Cin, Cout]``; ``MaxPool`` becomes ``MaxPoolNHWC``;
batch norm becomes a per-channel ``Mul``/``Add``; per-channel constants move to the last axis;
the flatten between the conv and FC parts reads the NHWC tensor and the first FC layer's weight
rows are permuted to match. A transpose at the graph input (software) feeds the NHWC tensor.
Afterwards every layer is a ``MatMul`` over the last axis, so streamlining treats conv and FC
layers alike.

``MoveAffinePastLayout`` (a streamlining pass) moves the affine scaling that follows an integer
activation past the layout ops (window generation, max-pool, flatten), so that they act on the
integer tensor and the next ``MatMul`` reads integers through them.
"""

import math

import numpy as np
import qonnx.custom_op.general.im2col as qonnx_im2col
import qonnx.custom_op.general.maxpoolnhwc as qonnx_maxpool
from onnx import NodeProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.remove import RemoveUnusedNodes

from finnflow.datatypes import is_integer
from finnflow.errors import UnsupportedOpError
from finnflow.transforms.elementwise import (
    ARITH_OPS,
    ELEMENTWISE_OPS,
    computed_tensors,
    new_constant,
    node_attr,
    per_channel_affine,
    trace_chain,
)

DOMAIN = "finnflow.transforms.conv"
NCHW_TO_NHWC = [0, 2, 3, 1]
NHWC_TO_NCHW = [0, 3, 1, 2]
LAYOUT_OPS = ("Im2Col", "MaxPoolNHWC", "Flatten")
QUANT_OPS = ("Quant", "BipolarQuant")


class Im2Col(qonnx_im2col.Im2Col):
    """qonnx's Im2Col (same attributes and output) whose shape inference keeps the batch of its
    input, so graphs run on batches of images, and whose execution needs no datatype
    annotation on a float input."""

    def _geometry(self):
        kh, kw = self.get_nodeattr("kernel_size")
        sh, sw = self.get_nodeattr("stride")
        top, left, bottom, right = self.get_nodeattr("pad_amount")
        return kh, kw, sh, sw, top, left, bottom, right

    def make_shape_compatible_op(self, model):
        n, h, w, c = model.get_tensor_shape(self.onnx_node.input[0])
        kh, kw, sh, sw, top, left, bottom, right = self._geometry()
        oh, ow = (h + top + bottom - kh) // sh + 1, (w + left + right - kw) // sw + 1
        return self.make_const_shape_op([n, oh, ow, kh * kw * c])

    def execute_node(self, context, graph):
        node = self.onnx_node
        kh, kw, sh, sw, top, left, bottom, right = self._geometry()
        x = context[node.input[0]]
        pad = ((0, 0), (top, bottom), (left, right), (0, 0))
        x = np.pad(x, pad, constant_values=self.get_nodeattr("pad_value"))
        n, h, w, c = x.shape
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
        win = win[:, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]
        context[node.output[0]] = win.transpose(0, 1, 2, 4, 5, 3).reshape(n, oh, ow, -1)


class MaxPoolNHWC(qonnx_maxpool.MaxPoolNHWC):
    """qonnx's MaxPoolNHWC for the pools the flow maps (stride = kernel, no padding), executed
    in numpy on any batch; trailing rows and columns that fill no window are dropped."""

    def execute_node(self, context, graph):
        node = self.onnx_node
        kh, kw = self.get_nodeattr("kernel_shape")
        x = context[node.input[0]]
        n, h, w, c = x.shape
        oh, ow = h // kh, w // kw
        x = x[:, : oh * kh, : ow * kw].reshape(n, oh, kh, ow, kw, c)
        context[node.output[0]] = x.max(axis=(2, 4))


def _channels_last_const(c: np.ndarray, node: NodeProto) -> np.ndarray:
    """A constant broadcast against an NCHW tensor, as the same constant against NHWC: scalars
    stay, per-channel ``[C, 1, 1]``/``[1, C, 1, 1]`` become ``[C]``."""
    if c.ndim < 3 or c.size == 1:
        return c
    c4 = c.reshape((1,) * (4 - c.ndim) + c.shape).transpose(NCHW_TO_NHWC)
    if c4.shape[:3] == (1, 1, 1):
        return c4.reshape(-1)
    raise UnsupportedOpError(
        f"{node.op_type} node {node.name!r} has a constant of shape {list(c.shape)} that varies "
        "over the image: finnflow maps per-tensor or per-channel constants only"
    )


def _weight_source(model: ModelWrapper, tensor: str):
    """(quantizer node or None, float weight initializer name, transposes between them) of a
    weight input: ``W``, ``Quant(W)`` or either behind Transpose/Identity nodes."""
    chain = []
    producer = model.find_producer(tensor)
    while producer is not None and producer.op_type in ("Transpose", "Identity"):
        chain.insert(0, producer)
        producer = model.find_producer(producer.input[0])
    if producer is None:
        if model.get_initializer(tensor) is None:
            return None
        return None, tensor, []
    if producer.op_type in QUANT_OPS and model.get_initializer(producer.input[0]) is not None:
        return producer, producer.input[0], chain
    return None


def rewrite_weight(
    model: ModelWrapper, node: NodeProto, index: int, fn, what: str
) -> list[NodeProto]:
    """Make the weight input ``index`` of ``node`` read ``fn(W)``, where ``fn`` only moves
    elements (transpose, reshape, permutation): the float weights and the quantizer's scale move
    together, so ``Quant(fn(W))`` equals ``fn(Quant(W))``. Returns the new quantizer node, which
    the caller places before ``node``."""
    src = _weight_source(model, node.input[index])
    if src is None:
        raise UnsupportedOpError(
            f"the weights of {what} {node.name!r} are computed at run time: finnflow needs "
            "constant (quantized) weights"
        )
    quant, w_name, transposes = src
    w = model.get_initializer(w_name).astype(np.float64)
    scale = None
    if quant is not None:
        scale = np.broadcast_to(model.get_initializer(quant.input[1]), w.shape)
    for t in transposes:
        if t.op_type == "Transpose":
            perm = node_attr(t, "perm", None)
            w = np.transpose(w, perm)
            scale = None if scale is None else np.transpose(scale, perm)
    w_new = new_constant(model, fn(w))
    if quant is None:
        node.input[index] = w_new
        return []
    s = fn(scale)
    orig = model.get_initializer(quant.input[1])
    if np.all(s == s.flat[0]):
        s = np.full(orig.shape if orig.size == 1 else (), s.flat[0])
    elif np.all(s == s[:1]):
        s = s[:1]
    out = model.make_new_valueinfo_name()
    inputs = [w_new, new_constant(model, s), *quant.input[2:]]
    attrs = {a.name: helper.get_attribute_value(a) for a in quant.attribute}
    node.input[index] = out
    return [helper.make_node(quant.op_type, inputs, [out], domain=quant.domain, **attrs)]


class LowerConvsToChannelsLast(Transformation):
    """Rewrite the NCHW convolutional part of the graph in channels-last form (module docstring).

    Unsupported forms (grouped or dilated convolutions, overlapping or padded max-pools, ops that
    read the image in a layout the flow cannot follow) are refused with an UnsupportedOpError
    that names the node."""

    def apply(self, model: ModelWrapper):
        if not any(n.op_type in ("Conv", "MaxPool") for n in model.graph.node):
            return model, False
        self.model = model
        self.nhwc: dict[str, str] = {}  # NCHW tensor -> NHWC tensor holding the same data
        self.perm: dict[str, np.ndarray] = {}  # flattened tensor -> NCHW index of each element
        self.restored: set[str] = set()
        self.out: list[NodeProto] = []
        self.dynamic = computed_tensors(model)
        for node in list(model.graph.node):
            self._lower(node)
        for vi in model.graph.output:
            self._restore(vi.name)
            if vi.name in self.perm:
                raise UnsupportedOpError(
                    f"the graph output {vi.name!r} is a flattened image; finnflow needs a "
                    "fully-connected layer after the flatten"
                )
        model.graph.ClearField("node")
        model.graph.node.extend(self.out)
        return model.transform(RemoveUnusedNodes()).transform(InferShapes()), False

    # ------------------------------------------------------------------ helpers
    def _emit(self, op_type: str, inputs: list[str], shape=None, **attrs) -> str:
        """Append a node; its output has ``shape`` (default: the first input's shape)."""
        out = self.model.make_new_valueinfo_name()
        domain = attrs.pop("domain", "")
        self.out.append(helper.make_node(op_type, inputs, [out], domain=domain, **attrs))
        self.model.set_tensor_shape(out, shape or self._shape(inputs[0]))
        return out

    def _is_image(self, tensor: str) -> bool:
        """A 4D tensor computed from the graph input (weights are 4D too, but constant)."""
        if tensor not in self.dynamic:
            return False
        shape = self.model.get_tensor_shape(tensor)
        return shape is not None and len(shape) == 4

    def _to_nhwc(self, tensor: str) -> str:
        if tensor not in self.nhwc:
            n, c, h, w = self._shape(tensor)
            self.nhwc[tensor] = self._emit(
                "Transpose", [tensor], shape=[n, h, w, c], perm=NCHW_TO_NHWC
            )
        return self.nhwc[tensor]

    def _restore(self, tensor: str) -> None:
        """Make the NCHW ``tensor`` exist again for a consumer that reads it as NCHW."""
        if tensor in self.nhwc and self.model.find_producer(tensor) is None:
            if tensor not in self.restored:
                self.restored.add(tensor)
                self.out.append(
                    helper.make_node("Transpose", [self.nhwc[tensor]], [tensor], perm=NHWC_TO_NCHW)
                )

    def _shape(self, tensor: str) -> list[int]:
        return self.model.get_tensor_shape(tensor)

    # ------------------------------------------------------------------ per node
    def _lower(self, node: NodeProto) -> None:
        model = self.model
        data = [i for i in node.input if self._is_image(i) or i in self.nhwc]
        flat = [i for i in node.input if i in self.perm]
        converts = node.op_type in ("Conv", "MaxPool", "BatchNormalization", *ELEMENTWISE_OPS)
        converts |= node.op_type in QUANT_OPS
        if flat:
            self._lower_flat(node, flat)
            return
        if not data or not (converts or node.op_type in ("Flatten", "Reshape")):
            for t in data:
                self._restore(t)
            self.out.append(node)
            return
        if node.op_type in ("Flatten", "Reshape"):
            if not self._lower_flatten(node):
                self._restore(node.input[0])
                self.out.append(node)
            return
        if len(data) != 1 or data[0] != node.input[0]:
            raise UnsupportedOpError(
                f"{node.op_type} node {node.name!r} combines two image tensors: finnflow maps "
                "chains of layers without branches"
            )
        model.graph.node.remove(node)
        x = self._to_nhwc(node.input[0])
        out = getattr(self, f"_lower_{node.op_type.lower()}", self._lower_elementwise)(node, x)
        self.nhwc[node.output[0]] = out

    def _lower_elementwise(self, node: NodeProto, x: str) -> str:
        inputs = [x]
        for name in node.input[1:]:
            c = self.model.get_initializer(name) if name else None
            if c is not None:
                name = new_constant(self.model, _channels_last_const(c, node))
            inputs.append(name)
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        return self._emit(node.op_type, inputs, domain=node.domain, **attrs)

    def _lower_batchnormalization(self, node: NodeProto, x: str) -> str:
        scale, bias, mean, var = (
            self.model.get_initializer(i).astype(np.float64) for i in node.input[1:5]
        )
        a = scale / np.sqrt(var + node_attr(node, "epsilon", 1e-5))
        y = self._emit("Mul", [x, new_constant(self.model, a)])
        return self._emit("Add", [y, new_constant(self.model, bias - mean * a)])

    def _lower_conv(self, node: NodeProto, x: str) -> str:
        model = self.model
        w_shape = self._weight_shape(node)
        cout, cin, kh, kw = w_shape
        group = node_attr(node, "group", 1)
        dil = list(node_attr(node, "dilations", [1, 1]))
        if group != 1 or dil != [1, 1]:
            raise UnsupportedOpError(
                f"Conv node {node.name!r} is grouped (group={group}) or dilated (dilations="
                f"{dil}): finnflow maps dense, undilated convolutions"
            )
        if node_attr(node, "auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise UnsupportedOpError(
                f"Conv node {node.name!r} uses auto_pad: export it with explicit pads"
            )
        pads = list(node_attr(node, "pads", [0, 0, 0, 0]))
        strides = list(node_attr(node, "strides", [1, 1]))
        n, _, h, w = self._shape(node.input[0])
        oh, ow = self._shape(node.output[0])[2:]
        cols = self._emit(
            "Im2Col",
            [x],
            shape=[n, oh, ow, kh * kw * cin],
            domain=DOMAIN,
            stride=strides,
            kernel_size=[kh, kw],
            input_shape=f"(1, {h}, {w}, {cin})",
            pad_amount=pads,
            pad_value=0,
        )
        self.out += rewrite_weight(
            model, node, 1, lambda t: t.transpose(2, 3, 1, 0).reshape(kh * kw * cin, cout), "Conv"
        )
        y = self._emit("MatMul", [cols, node.input[1]], shape=[n, oh, ow, cout])
        if len(node.input) > 2 and node.input[2]:
            bias = model.get_initializer(node.input[2])
            if bias is None:
                raise UnsupportedOpError(f"Conv node {node.name!r} has a run-time bias")
            y = self._emit("Add", [y, new_constant(model, bias.reshape(-1))])
        return y

    def _weight_shape(self, node: NodeProto) -> list[int]:
        shape = self._shape(node.input[1])
        if shape is None or len(shape) != 4:
            raise UnsupportedOpError(f"Conv node {node.name!r} is not a 2D convolution")
        return shape

    def _lower_maxpool(self, node: NodeProto, x: str) -> str:
        kernel = list(node_attr(node, "kernel_shape", []))
        strides = list(node_attr(node, "strides", kernel))
        pads = list(node_attr(node, "pads", [0, 0, 0, 0]))
        ceil = node_attr(node, "ceil_mode", 0)
        dil = list(node_attr(node, "dilations", [1, 1]))
        if strides != kernel or any(pads) or ceil or dil != [1, 1] or len(kernel) != 2:
            raise UnsupportedOpError(
                f"MaxPool node {node.name!r} (kernel {kernel}, strides {strides}, pads {pads}, "
                f"ceil_mode {ceil}): finnflow maps 2D max-pools whose stride equals the kernel, "
                "without padding or ceil mode (nn.MaxPool2d(k))"
            )
        n, c, oh, ow = self._shape(node.output[0])
        return self._emit(
            "MaxPoolNHWC",
            [x],
            shape=[n, oh, ow, c],
            domain=DOMAIN,
            kernel_shape=kernel,
            strides=strides,
            pads=pads,
        )

    def _lower_flatten(self, node: NodeProto) -> bool:
        """Flatten/Reshape of an image to [N, C*H*W]: flatten the NHWC tensor instead and
        remember which NCHW element each flattened element is."""
        src = node.input[0]
        if src not in self.nhwc:
            return False
        n, c, h, w = self._shape(src)
        out_shape = self._shape(node.output[0])
        if out_shape is None or len(out_shape) != 2 or out_shape[1] != c * h * w:
            return False
        if node.op_type == "Flatten" and node_attr(node, "axis", 1) != 1:
            return False
        self.model.graph.node.remove(node)
        out = self._emit("Flatten", [self.nhwc[src]], shape=[n, c * h * w], axis=1)
        self.perm[node.output[0]] = np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0)
        self.perm[node.output[0]] = self.perm[node.output[0]].reshape(-1)
        self.nhwc[node.output[0]] = out
        return True

    def _lower_flat(self, node: NodeProto, flat: list[str]) -> None:
        """A consumer of a flattened image: elementwise ops pass the permutation on (their
        constants permuted), the first MatMul absorbs it into its weight rows."""
        model = self.model
        t = flat[0]
        perm = self.perm[t]
        if len(flat) != 1 or node.input[0] != t:
            raise UnsupportedOpError(
                f"{node.op_type} node {node.name!r} reads the flattened image in a way finnflow "
                "cannot follow"
            )
        model.graph.node.remove(node)
        if node.op_type == "MatMul":
            self.out += rewrite_weight(model, node, 1, lambda m: m[perm], "MatMul")
            node.input[0] = self.nhwc[t]
            self.out.append(node)
            return
        if node.op_type not in (*ELEMENTWISE_OPS, *QUANT_OPS):
            raise UnsupportedOpError(
                f"{node.op_type} node {node.name!r} follows the flatten of the conv features: "
                "finnflow needs elementwise ops or a fully-connected layer there"
            )
        inputs = [self.nhwc[t]]
        for name in node.input[1:]:
            c = model.get_initializer(name) if name else None
            if c is not None and c.size > 1:
                c = np.broadcast_to(c, (*c.shape[:-1], len(perm)))[..., perm]
                name = new_constant(model, c)
            inputs.append(name)
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        out = self._emit(node.op_type, inputs, domain=node.domain, **attrs)
        self.nhwc[node.output[0]] = out
        self.perm[node.output[0]] = perm


def _tile_for(model: ModelWrapper, node: NodeProto, c: np.ndarray) -> np.ndarray:
    """A per-channel constant of a layout op's input as the constant of its output."""
    c = np.asarray(c, dtype=np.float64)
    if c.size == 1:
        return c.reshape(-1)[:1]
    if node.op_type == "Im2Col":
        kh, kw = node_attr(node, "kernel_size", [1, 1])
        return np.tile(c, kh * kw)
    if node.op_type == "Flatten":
        shape = model.get_tensor_shape(node.input[0])
        return np.tile(c, math.prod(shape[1:-1]))
    return c


class MoveAffinePastLayout(Transformation):
    """``int -> a * x + b -> layout op`` becomes ``int -> layout op -> a' * x + b'``.

    A max-pool commutes with increasing affine maps (all ``a > 0``); window generation and
    flatten with any, the per-channel constants repeated for every window position or pixel.
    Zero padding of real values is padding of the integers with ``-b / a``, which must be one
    integer of the input's datatype (it is 0 after zero-point-free quantizers; a bipolar
    activation has no integer for a real 0, so padding after it is refused)."""

    def apply(self, model: ModelWrapper):
        def is_int(name):
            return is_integer(model.get_tensor_datatype(name))

        for node in model.graph.node:
            if node.op_type not in LAYOUT_OPS or is_int(node.input[0]):
                continue
            src, chain = trace_chain(model, node.input[0], is_int)
            if src is None or not chain:
                continue
            if any(n.op_type not in ARITH_OPS for n in chain):
                continue
            channels = model.get_tensor_shape(src)[-1]
            affine = per_channel_affine(model, chain, channels)
            if affine is None:
                continue
            a, b = affine
            idt = model.get_tensor_datatype(src)
            if node.op_type == "MaxPoolNHWC" and np.any(a <= 0):
                raise UnsupportedOpError(
                    f"max-pool {node.name!r} follows an activation with a non-positive scale: "
                    "max-pooling its integers would not be max-pooling its values"
                )
            if node.op_type == "Im2Col" and any(node_attr(node, "pad_amount", [0, 0, 0, 0])):
                pad = -b / a
                ok = np.allclose(pad, pad[0]) and float(pad[0]).is_integer()
                if not ok or not idt.allowed(float(pad[0])):
                    raise UnsupportedOpError(
                        f"zero padding of {node.name!r}: the input activation ({idt.name} "
                        f"levels scaled by {a.tolist()[:4]}, offset {b.tolist()[:4]}) has no "
                        "integer level for the value 0 (bipolar activations have none); use "
                        "activations of 2 or more bits before a padded convolution, or no padding"
                    )
                node.attribute.remove(next(x for x in node.attribute if x.name == "pad_value"))
                node.attribute.append(helper.make_attribute("pad_value", int(pad[0])))
            out = node.output[0]
            mid, scaled = model.make_new_valueinfo_name(), model.make_new_valueinfo_name()
            node.input[0], node.output[0] = src, mid
            a_name = new_constant(model, _tile_for(model, node, a))
            b_name = new_constant(model, _tile_for(model, node, b))
            mul = helper.make_node("Mul", [mid, a_name], [scaled])
            add = helper.make_node("Add", [scaled, b_name], [out])
            pos = list(model.graph.node).index(node) + 1
            model.graph.node.insert(pos, mul)
            model.graph.node.insert(pos + 1, add)
            model = model.transform(RemoveUnusedNodes()).transform(InferShapes())
            model.set_tensor_datatype(mid, idt)
            return model, True
        return model, False
