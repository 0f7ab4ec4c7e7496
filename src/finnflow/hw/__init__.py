"""Hardware layers: the ``finnflow.hw`` custom-op domain (qonnx resolves ops through __all__)."""

from finnflow.hw.base import DOMAIN, HWCustomOp
from finnflow.hw.label_select import LabelSelect
from finnflow.hw.mvau import MVAU
from finnflow.hw.thresholding import Thresholding

__all__ = ["DOMAIN", "HWCustomOp", "LabelSelect", "MVAU", "Thresholding"]
