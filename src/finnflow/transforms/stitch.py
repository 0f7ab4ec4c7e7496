"""Stitching of a folded dataflow graph: data-width converters where a layer's output words do
not match the next layer's input words, and a FIFO on every edge between two layers. Both become
nodes of the graph (FINN's StreamingDataWidthConverter and StreamingFIFO), so the estimate, the
folding config and the RTL generator see them and FIFO depths can be sized and written back."""

import math

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.base import Transformation
from qonnx.transformation.general import GiveUniqueNodeNames

from finnflow.errors import FoldingError
from finnflow.hw.base import DOMAIN, hw_nodes, is_hw_node
from finnflow.hw.stitching import StreamingDataWidthConverter, StreamingFIFO

STITCHING_OPS = (StreamingFIFO, StreamingDataWidthConverter)


def _hw_successor(model: ModelWrapper, node):
    """The single hardware node reading ``node``'s output, if there is one."""
    consumers = [c for c in model.find_consumers(node.output[0]) or [] if is_hw_node(c)]
    return consumers[0] if len(consumers) == 1 else None


def _insert_after(model: ModelWrapper, producer, consumer, new_node) -> None:
    """Put ``new_node`` (one input, one output) on the edge ``producer -> consumer``."""
    tensor = producer.output[0]
    out = model.make_new_valueinfo_name()
    new_node.input[0], new_node.output[0] = tensor, out
    consumer.input[0] = out
    model.set_tensor_shape(out, getCustomOp(producer).get_normal_output_shape())
    model.set_tensor_datatype(out, model.get_tensor_datatype(tensor))
    model.graph.node.insert(list(model.graph.node).index(consumer), new_node)


def make_dwc(src, dst):
    """The StreamingDataWidthConverter between layers ``src`` and ``dst`` (custom ops). Its
    vectors are ``src``'s output vectors, or ``dst``'s input vectors where the destination reads
    more lanes than a source vector holds (an FC layer reading a flattened image)."""
    shape = src.get_normal_output_shape()
    if shape[-1] % dst.get_folded_input_shape()[-1]:
        shape = dst.get_normal_input_shape()
    return helper.make_node(
        "StreamingDataWidthConverter",
        ["in"],
        ["out"],
        domain=DOMAIN,
        shape=shape,
        inWidth=src.get_outstream_width(),
        outWidth=dst.get_instream_width(),
        dataType=src.get_output_datatype().name,
    )


def fifo_on_output(src, dst) -> bool:
    """Whether the FIFO between ``src`` and ``dst`` goes on ``src``'s side of a width
    conversion: the wide side, where words arrive or leave at full rate. Where neither width
    divides the other, the conversion goes through their greatest common width and neither side
    moves a word per cycle; the FIFO goes after it, where a consumer takes its words in bursts
    (an MVAU reads a whole input vector during its first neuron fold)."""
    outw, inw = src.get_outstream_width(), dst.get_instream_width()
    return outw >= inw and outw % inw == 0


def make_fifo(src, dst, depth: int | None = None):
    """The StreamingFIFO between layers ``src`` and ``dst``, ``depth`` words deep (default one
    frame of the wide side's words)."""
    shape = (
        src.get_folded_output_shape() if fifo_on_output(src, dst) else dst.get_folded_input_shape()
    )
    depth = depth or max(2, math.prod(shape[:-1]))
    return helper.make_node(
        "StreamingFIFO",
        ["in"],
        ["out"],
        domain=DOMAIN,
        depth=int(depth),
        folded_shape=[int(d) for d in shape],
        normal_shape=[*shape[:-2], int(shape[-2] * shape[-1])],
        dataType=src.get_output_datatype().name,
    )


def edge_nodes(src, dst, fifo_depth: int | None = None) -> list:
    """The stitching nodes ``stitch`` puts between layers ``src`` and ``dst``: a width converter
    where their words differ, and a FIFO (``fifo_depth`` words, default one frame)."""
    dwc = [] if src.get_outstream_width() == dst.get_instream_width() else [make_dwc(src, dst)]
    return [*dwc, make_fifo(src, dst, fifo_depth)]


class InsertDWC(Transformation):
    """Producer -> consumer with different stream widths becomes producer ->
    StreamingDataWidthConverter -> consumer (FINN's InsertDWC)."""

    def apply(self, model: ModelWrapper):
        for node in hw_nodes(model):
            nxt = _hw_successor(model, node)
            if nxt is None:
                continue
            src, dst = getCustomOp(node), getCustomOp(nxt)
            if src.get_outstream_width() == dst.get_instream_width():
                continue
            dwc = make_dwc(src, dst)
            _insert_after(model, node, nxt, dwc)
            return model.transform(GiveUniqueNodeNames()), True
        return model, False


class InsertFIFO(Transformation):
    """A StreamingFIFO on every edge between two layers, on the side of any width conversion
    that ``fifo_on_output`` picks, ``depth`` words deep; by default one frame, so no layer waits
    for its consumer while it works through a frame."""

    def __init__(self, depth: int | None = None):
        super().__init__()
        self.depth = depth

    def apply(self, model: ModelWrapper):
        nodes = hw_nodes(model)
        layers = [n for n in nodes if not isinstance(getCustomOp(n), STITCHING_OPS)]
        for producer in layers:
            path, nxt = [producer], _hw_successor(model, producer)
            while nxt is not None and isinstance(getCustomOp(nxt), STITCHING_OPS):
                path.append(nxt)
                nxt = _hw_successor(model, nxt)
            if nxt is None or any(isinstance(getCustomOp(n), StreamingFIFO) for n in path):
                continue
            src, dst = getCustomOp(producer), getCustomOp(nxt)
            fifo = make_fifo(src, dst, self.depth)
            if fifo_on_output(src, dst):
                before, after = producer, _hw_successor(model, producer)
            else:
                before, after = path[-1], nxt
            _insert_after(model, before, after, fifo)
            return model.transform(GiveUniqueNodeNames()), True
        return model, False


def check_stream_widths(model: ModelWrapper) -> None:
    """Every hardware edge carries words of one width, or a FoldingError names the edge (a
    folding config that sets a converter's widths against its neighbours)."""
    for node in hw_nodes(model):
        nxt = _hw_successor(model, node)
        if nxt is None:
            continue
        outw = getCustomOp(node).get_outstream_width()
        inw = getCustomOp(nxt).get_instream_width()
        if outw != inw:
            raise FoldingError(
                f"{node.name} sends {outw}-bit words but {nxt.name} reads {inw}-bit words: "
                "leave the converters' inWidth/outWidth to finnflow (remove them from the "
                "folding config)"
            )


def stitch(model: ModelWrapper) -> ModelWrapper:
    """A folded dataflow graph with its width converters and FIFOs, widths checked."""
    model = model.transform(InsertDWC()).transform(InsertFIFO())
    check_stream_widths(model)
    return model
