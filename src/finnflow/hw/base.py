"""Base class of finnflow's hardware layers (qonnx custom ops in the ``finnflow.hw`` domain).

A layer owns everything about itself, under FINN's method names: attributes (FINN's names),
its folding parameters and the dimensions they must divide, normal and folded shapes, stream
widths, datatype inference, bit-exact execution, expected cycles, resource estimates and its
memory images. Folding, stitching, estimation, partitioning and the RTL generator speak only
this vocabulary, so a new layer is one class here plus its RTL mapping (``rtl/layers/``).

Shapes follow FINN: the normal shape is ``[*numInputVectors, elements]``; the folded shape
splits the last dimension into ``[..., words, lanes]``, so one stream word carries ``lanes``
elements of the layer's datatype.
"""

import contextlib
import functools
import math
from collections.abc import Iterator

import numpy as np
from qonnx.core.datatype import DataType
from qonnx.custom_op.base import CustomOp
from qonnx.custom_op.registry import getCustomOp

from finnflow.errors import FoldingError
from finnflow.hw import resources
from finnflow.streams import StreamFormat, lane_bits, roundup8

DOMAIN = "finnflow.hw"


def is_hw_node(node) -> bool:
    return node.domain == DOMAIN


def hw_nodes(model) -> list:
    """The hardware-layer nodes of a model, in graph order."""
    return [n for n in model.graph.node if is_hw_node(n)]


@functools.cache
def datatype(name: str) -> DataType:
    """qonnx's ``DataType[name]``, parsed once per name: qonnx parses the name on every lookup,
    and folding searches look the layers' datatypes up hundreds of thousands of times."""
    return DataType[name]


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def bram18_count(width: int, depth: int) -> int:
    """BRAM18 primitives for a width x depth memory (aspect ratios 512x36 ... 16Kx1)."""
    if width <= 0 or depth <= 0:
        return 0
    for max_depth, bits in ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2)):
        if depth <= max_depth:
            return math.ceil(width / bits)
    return math.ceil(width / 1) * math.ceil(depth / 16384)


def rom_luts(width: int, depth: int) -> int:
    """LUTs of a width x depth ROM built as logic (a LUT6 covers 64 words of one bit)."""
    return width * math.ceil(depth / 64)


def rom_columns(words: np.ndarray, bits: int) -> int:
    """Bit columns of a ROM holding ``words`` [depth, lanes] as ``bits``-bit two's complement
    values that synthesis keeps as logic: a constant column is a wire, and equal columns are
    one function."""
    b = lane_bits(words, bits)
    varying = b[:, (b != b[:1]).any(axis=0)]
    if not varying.size:
        return 0
    # each column's bits packed into bytes and compared as one key: an integer up to 64 words
    # (threshold ROMs have few words and up to millions of columns), else a byte string
    packed = np.packbits(varying, axis=0)
    if len(packed) <= 8:
        keys = np.zeros(packed.shape[1], dtype=np.uint64)
        for row in packed:
            keys = (keys << np.uint64(8)) | row
        return len(np.unique(keys))
    cols = np.ascontiguousarray(packed.T)
    return len(np.unique(cols.view(np.dtype((np.void, cols.shape[1]))).ravel()))


def bound_op(node, model):
    """The custom op of ``node`` bound to ``model``, whose initializers its resource features
    may read (the contents of constant memories)."""
    op = getCustomOp(node)
    op.model = model
    return op


def lutram_luts(width: int, depth: int, dual_port: bool = True) -> tuple[int, int]:
    """(LUTs, read-multiplexer bits) of a width x depth LUT RAM as Yosys maps it on 7-series:
    RAM32M (6 bits with a separate write port, 8 single-port) up to 32 words, else banks of
    RAM64M (3 or 4 bits) per 64 words, whose outputs a multiplexer selects."""
    if width <= 0 or depth <= 1:
        return 0, 0
    if depth <= 32:
        per, banks = (6 if dual_port else 8), 1
    else:
        per, banks = (3 if dual_port else 4), math.ceil(depth / 64)
    return banks * math.ceil(width / per) * 4, width * (banks - 1)


@contextlib.contextmanager
def memoized_attrs(ops: list) -> Iterator[None]:
    """Within the block, each op's ``get_nodeattr`` decodes an attribute once (qonnx decodes
    it from the ONNX node on every call); ``set_nodeattr`` through the op keeps the memo true.
    For searches that evaluate thousands of foldings of the same ops, which nothing else
    touches meanwhile."""
    for op in ops:
        op._attr_memo = {}
    try:
        yield
    finally:
        for op in ops:
            op._attr_memo = None


class HWCustomOp(CustomOp):
    """Shared attributes and the shape/stream vocabulary; subclasses define the rest. The
    stitching nodes (FIFO, width converter) carry FINN's ``dataType`` and shape attributes
    instead of the layers' ``inputDataType``/``outputDataType``/``numInputVectors``."""

    _attr_memo: dict | None = None  # see memoized_attrs
    model = None  # the graph holding the layer's initializers, where bound (bound_op)

    def get_nodeattr(self, name):
        memo = self._attr_memo
        if memo is None:
            return super().get_nodeattr(name)
        if name not in memo:
            memo[name] = super().get_nodeattr(name)
        value = memo[name]
        return list(value) if isinstance(value, list) else value

    def set_nodeattr(self, name, value):
        super().set_nodeattr(name, value)
        if self._attr_memo is not None:
            self._attr_memo.pop(name, None)

    def get_nodeattr_types(self):
        return {
            "inputDataType": ("s", True, ""),
            "outputDataType": ("s", True, ""),
            "numInputVectors": ("ints", False, [1]),
            "backend": ("s", False, "fpgadataflow"),
        }

    # ------------------------------------------------------------------ datatypes
    def get_input_datatype(self) -> DataType:
        return datatype(self.get_nodeattr("inputDataType"))

    def get_output_datatype(self) -> DataType:
        return datatype(self.get_nodeattr("outputDataType"))

    def infer_node_datatype(self, model):
        model.set_tensor_datatype(self.onnx_node.output[0], self.get_output_datatype())

    # ------------------------------------------------------------------ folding
    def get_folding_params(self) -> dict[str, str]:
        """Parallelism attributes and the dimension attribute each must divide, in the order
        a folding pass grows them (``{"SIMD": "MW", "PE": "MH"}`` for an MVAU)."""
        return {}

    def get_folding_attrs(self) -> tuple[str, ...]:
        """Attributes a folding config (FINN's JSON) may set on this layer."""
        return tuple(self.get_folding_params())

    def get_folding_space(self) -> dict[str, list]:
        """Every value each folding attribute may take, for a search over foldings: the divisors
        of its dimension for each parallelism attribute, plus choices such as memory styles
        where they change the resources (``ram_style``: LUTs or block RAM)."""
        space = {a: divisors(self.get_nodeattr(d)) for a, d in self.get_folding_params().items()}
        if "ram_style" in self.get_folding_attrs():
            space["ram_style"] = ["distributed", "block"]
        return space

    def verify_folding(self) -> None:
        """Each parallelism attribute divides its dimension, or a FoldingError names the layer,
        the value and the valid choices."""
        for attr, dim in self.get_folding_params().items():
            value, total = self.get_nodeattr(attr), self.get_nodeattr(dim)
            if value < 1 or total % value != 0:
                raise FoldingError(
                    f"{self.onnx_node.name}: {attr}={value} does not divide {dim}={total}; "
                    f"valid {attr} values are {divisors(total)}"
                )

    def verify_node(self):
        try:
            self.verify_folding()
        except FoldingError as e:
            return [str(e)]
        return []

    # ------------------------------------------------------------------ shapes and streams
    def num_vectors(self) -> int:
        return int(np.prod(self.get_nodeattr("numInputVectors")))

    def set_batch_size(self, batch: int) -> None:
        """Set the leading (batch) dimension of the layer's shapes."""
        self.set_nodeattr("numInputVectors", [batch, *self.get_nodeattr("numInputVectors")[1:]])

    def get_folded_input_shape(self) -> list[int]:
        raise NotImplementedError

    def get_folded_output_shape(self) -> list[int]:
        raise NotImplementedError

    def get_normal_input_shape(self) -> list[int]:
        *outer, words, lanes = self.get_folded_input_shape()
        return [*outer, words * lanes]

    def get_normal_output_shape(self) -> list[int]:
        *outer, words, lanes = self.get_folded_output_shape()
        return [*outer, words * lanes]

    def get_instream_format(self) -> StreamFormat:
        return StreamFormat.of(self.get_input_datatype(), self.get_folded_input_shape()[-1])

    def get_outstream_format(self) -> StreamFormat:
        return StreamFormat.of(self.get_output_datatype(), self.get_folded_output_shape()[-1])

    def get_instream_width(self) -> int:
        return self.get_instream_format().width

    def get_outstream_width(self) -> int:
        return self.get_outstream_format().width

    def get_instream_width_padded(self) -> int:
        return roundup8(self.get_instream_width())

    def get_outstream_width_padded(self) -> int:
        return roundup8(self.get_outstream_width())

    def get_number_input_values(self) -> int:
        """Input stream words per batch."""
        return int(np.prod(self.get_folded_input_shape()[:-1]))

    def get_number_output_values(self) -> int:
        """Output stream words per batch."""
        return int(np.prod(self.get_folded_output_shape()[:-1]))

    def make_shape_compatible_op(self, model):
        return self.make_const_shape_op(self.get_normal_output_shape())

    def datapath_lanes(self) -> int:
        """Elements processed per cycle (PE x SIMD for an MVAU): a measure of design size."""
        return self.get_folded_output_shape()[-1]

    # ------------------------------------------------------------------ memories
    def get_memory_images(self, model) -> dict[str, np.ndarray]:
        """The layer's on-chip memories as integer arrays [depth, lanes], in the order the
        hardware reads them (word ``i`` is read at address ``i``)."""
        return {}

    def rom_bits(self, index: int, layout, bits: int, width: int, depth: int) -> int:
        """Bit columns of a ``width`` x ``depth`` ROM that synthesis keeps as logic and
        registers, for the initializer at input ``index`` as ``layout`` (the hardware-compatible
        tensor method) arranges it, ``bits`` per value: :func:`rom_columns` when the op is bound
        to its model, else all ``width``."""
        if self.model is None or depth <= 1:
            return width
        memo = self.__dict__.setdefault("_rom_memo", {})
        key = (index, bits, width, depth)
        if key not in memo:
            words = layout(self.model.get_initializer(self.onnx_node.input[index]))
            memo[key] = rom_columns(words, bits)
        return memo[key]

    # ------------------------------------------------------------------ cycles and resources
    def get_exp_cycles(self) -> int:
        raise NotImplementedError

    def resource_features(self, resource: str) -> dict[str, float]:
        """Features of the layer's hardware that its ``resource`` ("lut" or "ff") count is
        linear in (see :mod:`finnflow.hw.resources`)."""
        raise NotImplementedError

    def lut_estimation(self) -> int:
        return resources.predict(self, "lut")

    def ff_estimation(self) -> int:
        return resources.predict(self, "ff")

    def bram_estimation(self) -> int:
        return 0

    def uram_estimation(self) -> int:
        return 0

    def dsp_estimation(self) -> int:
        return 0
