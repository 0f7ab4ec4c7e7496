"""Integer datatypes (qonnx ``DataType``) chosen to cover a value range."""

import numpy as np
from qonnx.core.datatype import DataType


def int_type_for_range(lo: int, hi: int) -> DataType:
    """The narrowest BINARY/UINTn/INTn datatype holding every integer in [lo, hi]."""
    lo, hi = int(lo), int(hi)
    if lo >= 0:
        if hi <= 1:
            return DataType["BINARY"]
        return DataType[f"UINT{max(1, int(hi).bit_length())}"]
    bits = max(int(-lo - 1).bit_length(), int(max(hi, 0)).bit_length()) + 1
    return DataType[f"INT{bits}"]


def value_range(dt: DataType) -> tuple[int, int]:
    return int(dt.min()), int(dt.max())


def is_integer(dt: DataType | None) -> bool:
    return dt is not None and dt.is_integer()


def as_int(x: np.ndarray) -> np.ndarray:
    """Integer-valued float containers (qonnx's convention) as int64, checked to be integral."""
    r = np.rint(x)
    if not np.array_equal(r, x):
        raise ValueError("expected integer values in an integer-typed tensor")
    return r.astype(np.int64)
