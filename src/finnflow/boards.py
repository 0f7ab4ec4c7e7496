"""FPGA boards the flow targets: the resources each offers, the share of them a design may use,
its default fabric clock and the width of the DMA that feeds the accelerator's streams.

``usable`` leaves room for what sits beside the accelerator in the block design (the AXI DMA,
the interconnect, the reset and clock blocks). ``dma_bits`` is the memory-side width of the
high-performance ports the DMA uses: 64 bits on Zynq-7000 (S_AXI_HP), 128 bits on Zynq
UltraScale+ (S_AXI_HP*_FPD); one such word per fabric clock bounds the frames per second of any
design by ``clock x dma_bits / bits per frame`` (see :func:`io_bound_cycles`)."""

import math
from dataclasses import dataclass, fields

from finnflow.errors import ConfigError

RESOURCES = ("lut", "ff", "bram18", "uram", "dsp")


@dataclass(frozen=True)
class Board:
    name: str
    part: str
    lut: int
    ff: int
    bram18: int
    dsp: int
    uram: int = 0
    usable: float = 0.85
    clock_mhz: float = 100.0
    dma_bits: int = 64

    def budget(self) -> dict[str, int]:
        """What a design may use of each resource: the usable share of the device."""
        return {r: math.floor(getattr(self, r) * self.usable) for r in RESOURCES}


BOARDS = {
    b.name: b
    for b in (
        Board("Pynq-Z1", "xc7z020clg400-1", lut=53200, ff=106400, bram18=280, dsp=220),
        Board(
            "Ultra96",
            "xczu3eg-sbva484-1-e",
            lut=70560,
            ff=141120,
            bram18=432,
            dsp=360,
            dma_bits=128,
        ),
        Board(
            "ZCU104",
            "xczu7ev-ffvc1156-2-e",
            lut=230400,
            ff=460800,
            bram18=624,
            dsp=1728,
            uram=96,
            dma_bits=128,
        ),
    )
}

_INTS = ("lut", "ff", "bram18", "dsp", "uram", "dma_bits")


def board_from_dict(spec: dict) -> Board:
    """A user's board from a config mapping (``name``, ``part`` and the resource counts; ``uram``,
    ``usable``, ``clock_mhz`` and ``dma_bits`` optional), every field checked."""
    known = {f.name for f in fields(Board)}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise ConfigError(f"board: unknown field(s) {unknown}; valid fields are {sorted(known)}")
    missing = [f for f in ("name", "part", "lut", "ff", "bram18", "dsp") if f not in spec]
    if missing:
        raise ConfigError(f"board: a board of your own needs {', '.join(missing)}")
    for f in ("name", "part"):
        if not isinstance(spec[f], str) or not spec[f]:
            raise ConfigError(f"board.{f} must be a non-empty string")
    for f in _INTS:
        v = spec.get(f, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise ConfigError(f"board.{f}={v!r} must be a whole number >= 0")
    if spec.get("dma_bits", 64) % 8 or spec.get("dma_bits", 64) == 0:
        raise ConfigError(f"board.dma_bits={spec['dma_bits']} must be a positive multiple of 8")
    for f, lo, hi in (("usable", 0.0, 1.0), ("clock_mhz", 0.0, math.inf)):
        v = spec.get(f, 1.0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo < v <= hi:
            raise ConfigError(f"board.{f}={v!r} must be a number in ({lo:g}, {hi:g}]")
    if not spec["lut"]:
        raise ConfigError("board.lut must be positive")
    return Board(**spec)


def get_board(board: "str | dict | Board") -> Board:
    """A catalogue board by name, case-insensitively (``pynq-z1`` is ``Pynq-Z1``), or a user's
    board given as a mapping."""
    if isinstance(board, Board):
        return board
    if isinstance(board, dict):
        return board_from_dict(board)
    for key, b in BOARDS.items():
        if key.lower() == str(board).lower():
            return b
    raise ConfigError(
        f"unknown board {board!r}: choose one of {', '.join(BOARDS)}, or describe your own "
        "(board: {name, part, lut, ff, bram18, dsp})"
    )


def io_bound_cycles(board: Board, bits_in: int, bits_out: int) -> int:
    """Fewest cycles per frame the board's DMA allows: a frame's input and output, each packed
    into ``dma_bits``-bit words, one word per cycle in each direction."""
    return max(1, math.ceil(bits_in / board.dma_bits), math.ceil(bits_out / board.dma_bits))
