"""qonnx Transformation passes: cleanup, streamlining, conversion to hardware layers,
partitioning, stitching. Each pass also runs inside FINN's builder as a custom step."""

from finnflow.transforms.cleanup import CheckSupportedOps, LowerGemm, cleanup
from finnflow.transforms.partition import Partition, output_map, split_dataflow
from finnflow.transforms.stitch import InsertDWC, InsertFIFO, check_stream_widths, stitch
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
    "InferMVAU",
    "InferThresholding",
    "InsertDWC",
    "InsertFIFO",
    "InsertLabelSelect",
    "LowerGemm",
    "Partition",
    "QuantInputToInteger",
    "ThresholdActivations",
    "check_stream_widths",
    "cleanup",
    "convert_to_hw",
    "output_map",
    "split_dataflow",
    "stitch",
    "streamline",
]
