"""Memory files: the vectorized hex packing of memory images equals streams.pack word for word."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finnflow.streams import bit_range, hex_words, pack


@settings(max_examples=200, deadline=None)
@given(
    bits=st.integers(1, 40),
    lanes=st.integers(1, 70),
    rows=st.integers(1, 6),
    signed=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_hex_words_equal_pack(bits, lanes, rows, signed, seed):
    signed = signed and bits > 1
    lo, hi = bit_range(bits, signed)
    values = np.random.default_rng(seed).integers(lo, hi, size=(rows, lanes), endpoint=True)
    values[0, 0], values[-1, -1] = lo, hi  # both ends of the range
    digits = max(1, -(-lanes * bits // 4))
    expected = [f"{pack(row, bits, signed):0{digits}x}" for row in values]
    assert hex_words(values, bits, signed) == expected


@pytest.mark.parametrize("value, bits, signed", [(4, 2, False), (-1, 3, False), (2, 2, True)])
def test_hex_words_refuse_values_that_do_not_fit(value, bits, signed):
    with pytest.raises(ValueError, match=f"value {value} does not fit in {bits}"):
        hex_words(np.array([[0, value]]), bits, signed)
