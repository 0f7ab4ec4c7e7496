"""The DMA shell (``finnflow_dma_shell.v``): how the stitched design sits behind an AXI DMA in
the bitstream's block design and on the virtual board. Its ports are the DMA's stream widths, a
power of two from 8 to 1024 bits, and its output ends each DMA transfer with TLAST."""

from pathlib import Path

from finnflow.errors import ConfigError
from finnflow.rtl import StitchedDesign

SHELL_FILE = Path(__file__).with_name("finnflow_dma_shell.v")
SHELL_TOP = "finnflow_dma_shell"
DMA_MAX_STREAM_BITS = 1024
# the simple-mode DMA's buffer length register is 26 bits wide (c_sg_length_width, at most 26)
DMA_LENGTH_BITS = 26
DMA_MAX_BYTES = (1 << DMA_LENGTH_BITS) - 1


def dma_stream_bits(port_bits: int) -> int:
    """The AXI DMA stream width that carries a ``port_bits``-wide port."""
    width = 8
    while width < port_bits:
        width *= 2
    if width > DMA_MAX_STREAM_BITS:
        raise ConfigError(
            f"a {port_bits}-bit stream is wider than the AXI DMA's {DMA_MAX_STREAM_BITS} bits: "
            "fold the first and last layers more (smaller SIMD, PE) so that their streams narrow"
        )
    return width


def shell_params(design: StitchedDesign) -> dict[str, int]:
    """The shell's parameters for ``design``."""
    return {
        "IN_WIDTH": design.in_port_width,
        "OUT_WIDTH": design.out_port_width,
        "IN_DMA_WIDTH": dma_stream_bits(design.in_port_width),
        "OUT_DMA_WIDTH": dma_stream_bits(design.out_port_width),
        "IN_WORDS": design.in_words_per_frame,
        "OUT_WORDS": design.out_words_per_frame,
    }
