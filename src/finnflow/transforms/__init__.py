"""qonnx Transformation passes: cleanup, streamlining, conversion to hardware layers,
partitioning. Each pass also runs inside FINN's builder as a custom step."""

from finnflow.transforms.cleanup import CheckSupportedOps, GemmToMatMul, RemoveDeadNodes, cleanup
from finnflow.transforms.partition import Partition, output_map, split_dataflow
from finnflow.transforms.streamline import (
    AbsorbInputAffine,
    FoldQuantWeights,
    QuantInputToInteger,
    ThresholdActivations,
    streamline,
)
from finnflow.transforms.to_hw import (
    InferMVAU,
    InferThresholding,
    InsertLabelSelect,
    convert_to_hw,
)

__all__ = [
    "AbsorbInputAffine",
    "CheckSupportedOps",
    "FoldQuantWeights",
    "GemmToMatMul",
    "InferMVAU",
    "InferThresholding",
    "InsertLabelSelect",
    "Partition",
    "QuantInputToInteger",
    "RemoveDeadNodes",
    "ThresholdActivations",
    "cleanup",
    "convert_to_hw",
    "output_map",
    "split_dataflow",
    "streamline",
]
