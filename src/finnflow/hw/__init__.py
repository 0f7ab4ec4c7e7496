"""Hardware layers: the ``finnflow.hw`` custom-op domain (qonnx resolves ops through __all__)."""

from finnflow.hw.base import DOMAIN, HWCustomOp, hw_nodes, is_hw_node
from finnflow.hw.label_select import LabelSelect
from finnflow.hw.maxpool import StreamingMaxPool
from finnflow.hw.mvau import MVAU
from finnflow.hw.padding import FMPadding
from finnflow.hw.sliding_window import ConvolutionInputGenerator
from finnflow.hw.stitching import StreamingDataWidthConverter, StreamingFIFO
from finnflow.hw.thresholding import Thresholding

__all__ = [
    "DOMAIN",
    "ConvolutionInputGenerator",
    "FMPadding",
    "HWCustomOp",
    "LabelSelect",
    "MVAU",
    "StreamingDataWidthConverter",
    "StreamingFIFO",
    "StreamingMaxPool",
    "Thresholding",
    "hw_nodes",
    "is_hw_node",
]
