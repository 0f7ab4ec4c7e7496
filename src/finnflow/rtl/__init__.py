"""RTL backend: the parameterized Verilog library (``lib/``), the per-op mappings
(``layers/``) and the generator that instantiates and stitches them behind one AXI-Stream input
and one output."""

from finnflow.rtl.generate import LIB_DIR, StitchedDesign, generate_rtl, library_sources

__all__ = ["LIB_DIR", "StitchedDesign", "generate_rtl", "library_sources"]
