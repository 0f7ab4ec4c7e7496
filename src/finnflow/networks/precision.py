"""Precision specs: ``wXaY`` (weight and activation bits) or ``float32``."""

import re
from dataclasses import dataclass

from finnflow.errors import ConfigError

SUPPORTED_BITS = (1, 2, 3, 4, 8)
_PATTERN = re.compile(r"^w(\d+)a(\d+)$")


@dataclass(frozen=True)
class Precision:
    """Weight and activation bit widths; ``None`` for both means float32 (no quantization)."""

    weight_bits: int | None
    act_bits: int | None

    @property
    def is_float(self) -> bool:
        return self.weight_bits is None

    def __str__(self) -> str:
        return "float32" if self.is_float else f"w{self.weight_bits}a{self.act_bits}"


def parse_precision(spec: str) -> Precision:
    """Parse ``w2a2``, ``W4A8`` or ``float32``; anything else is a ConfigError naming the fix."""
    text = str(spec).strip().lower()
    if text in ("float32", "fp32", "float"):
        return Precision(None, None)
    match = _PATTERN.match(text)
    bits_ok = match and all(int(b) in SUPPORTED_BITS for b in match.groups())
    if not bits_ok:
        choices = ", ".join(str(b) for b in SUPPORTED_BITS)
        raise ConfigError(
            f"unknown precision {spec!r}: use 'wXaY' with X, Y in {{{choices}}} "
            "(for example 'w2a2' or 'w4a8'), or 'float32'"
        )
    return Precision(int(match.group(1)), int(match.group(2)))


def check_input_bits(bits: int) -> int:
    """Input bits must be one of the supported widths."""
    if int(bits) not in SUPPORTED_BITS:
        raise ConfigError(f"input_bits={bits} is not supported: choose one of {SUPPORTED_BITS}")
    return int(bits)
