"""RTL mappings of the hardware ops: for each op class, the library modules it instantiates,
their parameters and the memory files they read. A mapping is registered by op class with
``@rtl_for(OpClass)``; the generator looks it up for every node and knows no op by name."""

from dataclasses import dataclass
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.errors import UnsupportedOpError
from finnflow.streams import hex_words


@dataclass
class Instance:
    """One library-module instance: its parameters and the widths of its two streams."""

    module: str
    name: str
    params: dict
    in_width: int
    out_width: int


class RtlLayer:
    """How one hardware node becomes module instances; subclasses implement ``instances``."""

    def __init__(self, model: ModelWrapper, node):
        self.model, self.node, self.op = model, node, getCustomOp(node)

    def instances(self, rtl_dir: Path) -> list[Instance]:
        raise NotImplementedError

    def instance(self, module: str, params: dict) -> Instance:
        """The node as a single instance of ``module``, named after the node."""
        op = self.op
        return Instance(
            module, self.node.name, params, op.get_instream_width(), op.get_outstream_width()
        )

    def write_memory(self, rtl_dir: Path, image: str, bits: int, signed: bool, words=None) -> str:
        """Write the op's memory image ``image`` (or ``words`` in its place) as a ``$readmemh``
        file (one word a line, lane 0 in the LSBs, each lane ``bits`` wide) and return its
        name, relative to ``rtl_dir``."""
        if words is None:
            words = self.op.get_memory_images(self.model)[image]
        name = f"{self.node.name}_{image}.mem"
        text = "".join(f"{word}\n" for word in hex_words(words, bits, signed))
        (Path(rtl_dir) / name).write_text(text)
        return name


_REGISTRY: dict[type, type[RtlLayer]] = {}


def rtl_for(op_class: type):
    """Class decorator: register an RtlLayer as the mapping of ``op_class``."""

    def register(layer: type[RtlLayer]) -> type[RtlLayer]:
        _REGISTRY[op_class] = layer
        return layer

    return register


def rtl_layer(model: ModelWrapper, node) -> RtlLayer:
    """The RTL mapping of ``node``, or an UnsupportedOpError naming the node."""
    layer = _REGISTRY.get(type(getCustomOp(node)))
    if layer is None:
        raise UnsupportedOpError(
            f"{node.name}: no RTL for {node.op_type}; ops with RTL: "
            f"{', '.join(sorted(c.__name__ for c in _REGISTRY))}"
        )
    return layer(model, node)


from finnflow.rtl.layers import (  # noqa: E402, F401
    label_select,
    maxpool,
    mvau,
    padding,
    sliding_window,
    stitching,
    thresholding,
)
