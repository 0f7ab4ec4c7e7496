"""Stream formats: how integer tensors travel on AXI-Stream words (lanes per word, bits per lane,
two's complement or not), packing and unpacking, and the value ranges they imply. The RTL
generator, the simulator and the drivers all read this one definition.

Element 0 of a word sits in its least significant bits; a word's upper bits beyond
``lanes * bits`` (the padding to whole bytes at the top level) are zero."""

from dataclasses import dataclass

import numpy as np
from qonnx.core.datatype import DataType


def bit_range(bits: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest integer that ``bits`` bits hold."""
    if signed:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def signed_bits(lo: int, hi: int) -> int:
    """Bits of a two's-complement number holding every integer in [lo, hi]."""
    lo, hi = min(int(lo), -1), max(int(hi), 0)
    return max((-lo - 1).bit_length(), hi.bit_length()) + 1


def roundup8(bits: int) -> int:
    """``bits`` padded to whole bytes, as a DMA (and FINN's top-level streams) need."""
    return -(-bits // 8) * 8


@dataclass(frozen=True)
class StreamFormat:
    """Elements of a stream: ``lanes`` per word, each ``bits`` wide, two's complement if signed."""

    lanes: int
    bits: int
    signed: bool

    @classmethod
    def of(cls, dtype: DataType, lanes: int) -> "StreamFormat":
        """The format of ``lanes`` elements of an integer qonnx datatype per word."""
        return cls(int(lanes), dtype.bitwidth(), bool(dtype.signed()))

    @property
    def width(self) -> int:
        return self.lanes * self.bits

    @property
    def padded_width(self) -> int:
        return roundup8(self.width)

    def value_range(self) -> tuple[int, int]:
        return bit_range(self.bits, self.signed)

    def with_lanes(self, lanes: int) -> "StreamFormat":
        return StreamFormat(int(lanes), self.bits, self.signed)

    def pack_frames(self, frames: np.ndarray) -> list[int]:
        """Frames [n, elements] (elements a multiple of ``lanes``) as a flat list of words."""
        flat = np.asarray(frames, dtype=np.int64).reshape(-1, self.lanes)
        return [pack(row, self.bits, self.signed) for row in flat]

    def unpack_frames(self, words: list[int], frames: int) -> np.ndarray:
        """Words back to frames [frames, elements]."""
        values = [v for w in words for v in unpack(w, self.lanes, self.bits, self.signed)]
        return np.array(values, dtype=np.int64).reshape(frames, -1)


def pack(values, bits: int, signed: bool = False) -> int:
    """Pack a sequence of integers into one word, element 0 in the LSBs; a value that does not
    fit is an error, never silently truncated."""
    lo, hi = bit_range(bits, signed)
    mask = (1 << bits) - 1
    word = 0
    for i, v in enumerate(values):
        v = int(v)
        if not lo <= v <= hi:
            kind = "signed" if signed else "unsigned"
            raise ValueError(f"value {v} does not fit in {bits} {kind} bits")
        word |= (v & mask) << (i * bits)
    return word


def lane_bits(rows: np.ndarray, bits: int) -> np.ndarray:
    """The bits of integer ``rows`` [n, lanes] as two's complement ``bits``-bit values, as a
    uint8 array [n, lanes * bits]: lane 0's LSB first, as :func:`pack` orders them."""
    rows = np.asarray(rows, dtype=np.int64).reshape(len(rows), -1)
    return ((rows[:, :, None] >> np.arange(bits)) & 1).astype(np.uint8).reshape(len(rows), -1)


def hex_words(rows, bits: int, signed: bool = False) -> list[str]:
    """Each row of ``rows`` [n, lanes] packed as :func:`pack` packs it, as ``ceil(lanes * bits
    / 4)`` hex digits (memory files): vectorized, for memories of millions of bits."""
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows.reshape(len(rows), -1)
    lo, hi = bit_range(bits, signed)
    bad = rows[(rows < lo) | (rows > hi)]
    if bad.size:
        kind = "signed" if signed else "unsigned"
        raise ValueError(f"value {bad[0]} does not fit in {bits} {kind} bits")
    lsb_first = lane_bits(rows, bits)
    digits = max(1, -(-lsb_first.shape[1] // 4))
    data = np.packbits(lsb_first, axis=1, bitorder="little")  # little-endian bytes
    return [row[::-1].tobytes().hex()[-digits:] for row in data]


def unpack(word: int, lanes: int, bits: int, signed: bool = False) -> list[int]:
    """Split a word into ``lanes`` integers of ``bits`` bits, element 0 from the LSBs."""
    mask = (1 << bits) - 1
    out = []
    for i in range(lanes):
        v = (int(word) >> (i * bits)) & mask
        if signed and v >> (bits - 1):
            v -= 1 << bits
        out.append(v)
    return out
