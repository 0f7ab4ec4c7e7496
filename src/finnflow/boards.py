"""FPGA boards the flow targets and the resources each offers."""

from dataclasses import dataclass

from finnflow.errors import ConfigError


@dataclass(frozen=True)
class Board:
    name: str
    part: str
    lut: int
    ff: int
    bram18: int
    dsp: int


BOARDS = {
    "Pynq-Z1": Board("Pynq-Z1", "xc7z020clg400-1", lut=53200, ff=106400, bram18=280, dsp=220),
    "Ultra96": Board("Ultra96", "xczu3eg-sbva484-1-e", lut=70560, ff=141120, bram18=432, dsp=360),
}


def get_board(name: str) -> Board:
    """Look a board up by name, case-insensitively (``pynq-z1`` and ``Pynq-Z1`` are the same)."""
    for key, board in BOARDS.items():
        if key.lower() == str(name).lower():
            return board
    raise ConfigError(f"unknown board {name!r}: choose one of {', '.join(BOARDS)}")
