"""What the layers that stream images share (sliding window, max pool, padding): tensors are
[N, H, W, C], channels last, and a pixel travels as C / lanes stream words, so the folded shape
of an image is [N, H, W, C / lanes, lanes]; the element type passes through unchanged."""

import math

from finnflow.errors import UnsupportedOpError
from finnflow.hw.base import HWCustomOp


def counter_bits(n: int) -> int:
    """Register bits of a counter over ``n`` values (at least one), as the RTL sizes them."""
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


class ImageLayer(HWCustomOp):
    """Base of the image layers: folded image shapes and the checks of what the RTL and the
    execution implement (``check_supported``), which ``verify_node`` reports too."""

    def image_shape(self, h: int, w: int, channels: int, lanes: int) -> list[int]:
        """Folded shape of a batch of h x w images of ``channels`` carried ``lanes`` a word."""
        return [*self.get_nodeattr("numInputVectors"), h, w, channels // lanes, lanes]

    def check_supported(self) -> None:
        """Raise an UnsupportedOpError naming the node for settings the layer does not
        implement; subclasses add their own."""
        if self.get_input_datatype() != self.get_output_datatype():
            raise UnsupportedOpError(
                f"{self.onnx_node.name}: inputDataType {self.get_nodeattr('inputDataType')} and "
                f"outputDataType {self.get_nodeattr('outputDataType')} must be equal: the layer "
                "moves elements without changing them"
            )

    def verify_node(self):
        try:
            self.check_supported()
        except UnsupportedOpError as e:
            return [str(e), *super().verify_node()]
        return super().verify_node()
