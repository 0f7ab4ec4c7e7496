"""RTL backend: the parameterized Verilog library (``lib/``) and the generator that instantiates
and stitches it behind one AXI-Stream input and one output."""

from finnflow.rtl.generate import LIB_DIR, StitchedDesign, StreamFormat, generate_rtl

__all__ = ["LIB_DIR", "StitchedDesign", "StreamFormat", "generate_rtl"]
