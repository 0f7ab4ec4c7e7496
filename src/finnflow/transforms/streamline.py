"""Streamlining: turn a QONNX graph into integer form.

After these passes every quantized layer reads an integer tensor and is a ``MatMul`` with an
integer weight initializer followed by a qonnx ``MultiThreshold`` whose thresholds absorb
biases, batch norm, scales and the activation quantizer. Float scaling survives only in small
``Mul``/``Add`` chains after the last layer and around the input quantizer, which partitioning
later moves to software. Integer tensors carry their qonnx DataType annotation.
"""

import numpy as np
from onnx import helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.general.bipolar_quant import binary_quant
from qonnx.custom_op.general.intquant import int_quant, max_int, min_int
from qonnx.transformation.base import Transformation
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.remove import RemoveUnusedNodes

from finnflow.datatypes import int_type_for_range, is_integer, value_range
from finnflow.errors import UnsupportedOpError
from finnflow.transforms.conv import MoveAffinePastLayout
from finnflow.transforms.elementwise import (
    evaluate_chain,
    new_constant,
    node_attr,
    per_channel_affine,
    trace_chain,
)

QUANT_OPS = ("Quant", "BipolarQuant")


def _is_int(model: ModelWrapper):
    return lambda name: is_integer(model.get_tensor_datatype(name))


def threshold_initializer(model: ModelWrapper, thresholds: np.ndarray) -> str:
    """A new initializer holding integer thresholds, annotated with a datatype covering them."""
    name = new_constant(model, thresholds)
    lo, hi = int(thresholds.min()), int(thresholds.max())
    model.set_tensor_datatype(name, int_type_for_range(min(lo, 0), max(hi, 0)))
    return name


def _insert_after(model: ModelWrapper, anchor, nodes) -> None:
    pos = list(model.graph.node).index(anchor) + 1
    for offset, node in enumerate(nodes):
        model.graph.node.insert(pos + offset, node)


def _has_compute_upstream(model: ModelWrapper, tensor: str) -> bool:
    """True if any node computing ``tensor`` from the graph input is a layer or a quantizer."""
    stack, seen = [tensor], set()
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        producer = model.find_producer(name)
        if producer is None:
            continue
        if producer.op_type in ("MatMul", "MultiThreshold", *QUANT_OPS):
            return True
        stack += [i for i in producer.input if i and model.get_initializer(i) is None]
    return False


def _feeds_round(model: ModelWrapper, tensor: str) -> bool:
    """True if ``tensor`` already reaches a Round through a short single-consumer chain (the
    pattern QuantInputToInteger leaves behind)."""
    for _ in range(4):
        consumers = model.find_consumers(tensor)
        if len(consumers) != 1:
            return False
        if consumers[0].op_type == "Round":
            return True
        tensor = consumers[0].output[0]
    return False


class QuantSpec:
    """Integer levels of a Quant/BipolarQuant node: its real output is
    ``scale * (gain * level + offset)`` with an integer level in [lo, hi]."""

    def __init__(self, model: ModelWrapper, node):
        self.node = node
        self.bipolar = node.op_type == "BipolarQuant"
        scale = model.get_initializer(node.input[1])
        if scale is None:
            raise UnsupportedOpError(
                f"{node.op_type} node {node.name!r} has a scale computed at run time: finnflow "
                "needs constant quantizer scales"
            )
        self.scale = scale.astype(np.float64)
        if self.bipolar:
            self.lo, self.hi, self.gain, self.offset = 0, 1, 2.0, -1.0
            self.dtype = DataType["BINARY"]
            return
        zp = model.get_initializer(node.input[2])
        bits = model.get_initializer(node.input[3])
        if zp is None or bits is None or np.any(zp != 0):
            raise UnsupportedOpError(
                f"Quant node {node.name!r} has a non-zero or non-constant zero point / bit "
                "width: finnflow needs zero-point-free quantizers with constant bit widths "
                "(Brevitas' Int*/Uint*/SignedBinary quantizers, not Shifted*)"
            )
        self.bits = int(bits)
        self.signed = bool(node_attr(node, "signed", 1))
        self.narrow = bool(node_attr(node, "narrow", 0))
        self.mode = node_attr(node, "rounding_mode", "ROUND")
        if isinstance(self.mode, bytes):
            self.mode = self.mode.decode()
        if self.bits == 1 and self.signed:
            self.bipolar = True
            self.lo, self.hi, self.gain, self.offset = 0, 1, 2.0, -1.0
            self.dtype = DataType["BINARY"]
            return
        self.lo = int(min_int(self.signed, self.narrow, self.bits))
        self.hi = int(max_int(self.signed, self.narrow, self.bits))
        self.gain, self.offset = 1.0, 0.0
        self.dtype = int_type_for_range(self.lo, self.hi)

    def level(self, y: np.ndarray) -> np.ndarray:
        """Integer level of real values ``y`` (channels last), exactly as qonnx executes it."""
        if self.bipolar:
            return (binary_quant(y, 1.0) > 0).astype(np.int64)
        bits = np.asarray(self.bits, dtype=np.float64)
        q = int_quant(y / self.scale, 1.0, 0.0, bits, self.signed, self.narrow, self.mode)
        return np.rint(q).astype(np.int64)

    def restore_nodes(self, model: ModelWrapper, int_tensor: str, out: str) -> list:
        """Nodes computing the quantizer's real output from its integer level."""
        nodes, cur = [], int_tensor
        if self.bipolar:
            for op, val in (("Mul", self.gain), ("Add", self.offset)):
                nxt = model.make_new_valueinfo_name()
                nodes.append(helper.make_node(op, [cur, new_constant(model, val)], [nxt]))
                cur = nxt
        nodes.append(helper.make_node("Mul", [cur, new_constant(model, self.scale)], [out]))
        return nodes


class FoldQuantWeights(Transformation):
    """MatMul(x, [Transpose] Quant(W)) -> MatMul(x, W_int) -> Mul(per-column scale)."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type != "MatMul" or model.get_initializer(node.input[1]) is not None:
                continue
            chain, tensor = [], node.input[1]
            producer = model.find_producer(tensor)
            while producer is not None and producer.op_type in ("Transpose", "Identity"):
                chain.insert(0, producer)
                producer = model.find_producer(producer.input[0])
            if producer is None or producer.op_type not in QUANT_OPS:
                continue
            if model.get_initializer(producer.input[0]) is None:
                continue
            spec = QuantSpec(model, producer)
            w = model.get_initializer(producer.input[0]).astype(np.float64)
            w_int = spec.level(w)
            if spec.bipolar:
                w_int = 2 * w_int - 1
            scale = np.broadcast_to(spec.scale, w.shape).copy()
            for t in chain:
                if t.op_type == "Transpose":
                    perm = node_attr(t, "perm", None)
                    w_int, scale = np.transpose(w_int, perm), np.transpose(scale, perm)
            col_scale = scale[:1, :]
            if not np.all(scale == col_scale):
                raise UnsupportedOpError(
                    f"weights of {node.name!r} have a per-input-channel scale: finnflow needs "
                    "per-tensor or per-output-channel weight scales"
                )
            wdt = DataType["BIPOLAR"] if spec.bipolar else spec.dtype
            w_name = model.make_new_valueinfo_name()
            model.set_initializer(w_name, w_int.astype(np.float32))
            model.set_tensor_datatype(w_name, wdt)
            out = node.output[0]
            acc = model.make_new_valueinfo_name()
            node.input[1] = w_name
            node.output[0] = acc
            mul = helper.make_node("Mul", [acc, new_constant(model, col_scale)], [out])
            _insert_after(model, node, [mul])
            model = model.transform(RemoveUnusedNodes())
            return model.transform(InferShapes()), True
        return model, False


def _matmul_acc_range(model: ModelWrapper, node) -> tuple[np.ndarray, np.ndarray]:
    """Per-column accumulator bounds of an integer MatMul."""
    w = model.get_initializer(node.input[1]).astype(np.int64)
    lo, hi = value_range(model.get_tensor_datatype(node.input[0]))
    acc_lo = np.minimum(w * lo, w * hi).sum(axis=0)
    acc_hi = np.maximum(w * lo, w * hi).sum(axis=0)
    return acc_lo, acc_hi


def _annotate_acc(model: ModelWrapper, node) -> None:
    lo, hi = _matmul_acc_range(model, node)
    model.set_tensor_datatype(node.output[0], int_type_for_range(lo.min(), hi.max()))


class QuantInputToInteger(Transformation):
    """The first activation quantizer (on real input) -> an integer tensor and its real scaling.

    ``Quant(x)`` becomes ``Quant(x) / scale -> Round`` (annotated with its integer DataType), then
    ``* scale`` to restore the real value for downstream nodes; a bipolar input is encoded as
    BINARY {0, 1}."""

    def apply(self, model: ModelWrapper):
        for node in model.graph.node:
            if node.op_type not in QUANT_OPS or model.get_initializer(node.input[0]) is not None:
                continue
            if _has_compute_upstream(model, node.input[0]) or _feeds_round(model, node.output[0]):
                continue
            spec = QuantSpec(model, node)
            out = node.output[0]
            real = model.make_new_valueinfo_name()
            node.output[0] = real
            scaled = model.make_new_valueinfo_name()
            int_t = model.make_new_valueinfo_name()
            nodes = [helper.make_node("Div", [real, new_constant(model, spec.scale)], [scaled])]
            if spec.bipolar:
                shifted, halved = model.make_new_valueinfo_name(), model.make_new_valueinfo_name()
                nodes += [
                    helper.make_node("Add", [scaled, new_constant(model, 1.0)], [shifted]),
                    helper.make_node("Div", [shifted, new_constant(model, 2.0)], [halved]),
                ]
                scaled = halved
            nodes.append(helper.make_node("Round", [scaled], [int_t]))
            nodes += spec.restore_nodes(model, int_t, out)
            _insert_after(model, node, nodes)
            model = model.transform(InferShapes())
            model.set_tensor_datatype(int_t, spec.dtype)
            return model, True
        return model, False


class AbsorbInputAffine(Transformation):
    """MatMul(a*x_int + b, W_int) -> MatMul(x_int, W_int) * a + (b @ W_int).

    Afterwards every integer-weight MatMul reads an integer tensor directly."""

    def apply(self, model: ModelWrapper):
        is_int = _is_int(model)
        for node in model.graph.node:
            if node.op_type != "MatMul":
                continue
            w = model.get_initializer(node.input[1])
            if w is None or not is_integer(model.get_tensor_datatype(node.input[1])):
                continue
            if is_int(node.input[0]):
                if not is_int(node.output[0]):
                    _annotate_acc(model, node)
                    return model, True
                continue
            src, chain = trace_chain(model, node.input[0], is_int)
            if src is None:
                continue
            affine = per_channel_affine(model, chain, w.shape[0])
            if affine is None:
                raise UnsupportedOpError(
                    f"the input of {node.name!r} is not an affine function of an integer tensor"
                )
            a, b = affine
            if not np.allclose(a, a[0], rtol=1e-12) or a[0] == 0:
                raise UnsupportedOpError(
                    f"the input of {node.name!r} has a per-element scale: finnflow needs "
                    "per-tensor activation scales"
                )
            out = node.output[0]
            acc = model.make_new_valueinfo_name()
            node.input[0], node.output[0] = src, acc
            c = b @ w.astype(np.float64)
            mid = model.make_new_valueinfo_name()
            nodes = [
                helper.make_node("Mul", [acc, new_constant(model, a[0])], [mid]),
                helper.make_node("Add", [mid, new_constant(model, c)], [out]),
            ]
            _insert_after(model, node, nodes)
            _annotate_acc(model, node)
            model = model.transform(RemoveUnusedNodes())
            return model.transform(InferShapes()), True
        return model, False


def compute_thresholds(level_fn, lo: np.ndarray, hi: np.ndarray, n_levels: int) -> np.ndarray:
    """Smallest integer x in [lo, hi] per channel with level_fn(x) >= k, for k = 1..n_levels.

    ``level_fn`` maps an integer matrix [rows, channels] to non-decreasing levels counted from 0;
    a threshold of hi + 1 means "never reached". Binary search, exact for integers."""
    channels = len(lo)
    left = np.broadcast_to(lo - 1, (n_levels, channels)).astype(np.int64)
    right = np.broadcast_to(hi + 1, (n_levels, channels)).astype(np.int64)
    target = np.arange(1, n_levels + 1)[:, None]
    while np.any(right - left > 1):
        mid = (left + right) // 2
        reached = level_fn(mid.astype(np.float64)) >= target
        right = np.where(reached, mid, right)
        left = np.where(reached, left, mid)
    return right


def _level_fn(model: ModelWrapper, chain, spec: QuantSpec, sign: np.ndarray):
    """Quantizer level (from 0) of ``chain(sign * x)`` for integer inputs ``x``."""

    def levels(x):
        return spec.level(evaluate_chain(model, chain, sign * x)) - spec.lo

    return levels


class ThresholdActivations(Transformation):
    """int tensor -> per-channel elementwise chain -> Quant  ==>  MultiThreshold -> real scaling.

    A channel whose chain decreases has its MatMul weight column negated first, so that every
    threshold compares ``acc >= T``."""

    def apply(self, model: ModelWrapper):
        is_int = _is_int(model)
        for node in model.graph.node:
            if node.op_type not in QUANT_OPS or model.get_initializer(node.input[0]) is not None:
                continue
            src, chain = trace_chain(model, node.input[0], is_int)
            if src is None:
                continue
            spec = QuantSpec(model, node)
            producer = model.find_producer(src)
            matmul = producer if producer is not None and producer.op_type == "MatMul" else None
            channels = model.get_tensor_shape(src)[-1]
            if matmul is not None:
                lo, hi = _matmul_acc_range(model, matmul)
            else:
                dlo, dhi = value_range(model.get_tensor_datatype(src))
                lo, hi = np.full(channels, dlo), np.full(channels, dhi)
            levels = _level_fn(model, chain, spec, np.ones(channels))
            decreasing = levels(hi[None, :].astype(float))[0] < levels(lo[None, :].astype(float))[0]
            sign = np.ones(channels)
            if decreasing.any():
                if matmul is None or len(model.find_consumers(src)) != 1:
                    raise UnsupportedOpError(
                        f"activation {node.name!r} decreases with its integer input and there "
                        "is no MatMul to negate: not mappable to thresholds"
                    )
                w = model.get_initializer(matmul.input[1]).copy()
                w[:, decreasing] *= -1
                model.set_initializer(matmul.input[1], w)
                if model.get_tensor_datatype(matmul.input[1]) != DataType["BIPOLAR"]:
                    wdt = int_type_for_range(min(w.min(), 0), max(w.max(), 0))
                    model.set_tensor_datatype(matmul.input[1], wdt)
                sign[decreasing] = -1
                lo, hi = _matmul_acc_range(model, matmul)
            n_levels = spec.hi - spec.lo
            levels = _level_fn(model, chain, spec, sign)
            thresholds = compute_thresholds(levels, lo, hi, n_levels).T
            t_name = threshold_initializer(model, thresholds)
            out = node.output[0]
            int_t = model.make_new_valueinfo_name()
            mt = helper.make_node(
                "MultiThreshold",
                [src, t_name],
                [int_t],
                domain="qonnx.custom_op.general",
                out_dtype=spec.dtype.name,
                out_bias=float(spec.lo),
                out_scale=1.0,
                data_layout="NHWC" if len(model.get_tensor_shape(src)) == 4 else "",
            )
            new_nodes = [mt, *spec.restore_nodes(model, int_t, out)]
            pos = list(model.graph.node).index(node)
            model.graph.node.remove(node)
            for i, n in enumerate(new_nodes):
                model.graph.node.insert(pos + i, n)
            model = model.transform(RemoveUnusedNodes())
            model = model.transform(InferShapes())
            model.set_tensor_datatype(int_t, spec.dtype)
            if matmul is not None:
                _annotate_acc(model, matmul)
            return model, True
        return model, False


def streamline(model: ModelWrapper) -> ModelWrapper:
    """Run the streamlining passes to a fixed point."""
    model = model.transform(FoldQuantWeights())
    passes = (
        QuantInputToInteger(),
        MoveAffinePastLayout(),
        AbsorbInputAffine(),
        ThresholdActivations(),
    )
    changed = True
    while changed:
        changed = False
        for p in passes:
            model, step_changed = p.apply(model)
            changed |= step_changed
    model = model.transform(RemoveUnusedNodes())
    return model.transform(InferShapes())
