"""finnflow: Brevitas -> QONNX -> streaming dataflow hardware layers for FPGAs."""

__version__ = "0.1.0"
