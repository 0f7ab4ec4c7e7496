"""The driver's standalone stream packing equals finnflow.streams' format: the same words (element
0 in the least significant bits), each padded to whole DMA words and stored little-endian."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finnflow.deploy.driver import DriverError, pack_words, unpack_words
from finnflow.streams import StreamFormat


@st.composite
def streams(draw):
    bits = draw(st.integers(1, 32))
    lanes = draw(st.integers(1, 12))
    signed = draw(st.booleans()) if bits > 1 else False
    fmt = StreamFormat(lanes, bits, signed)
    word_bytes = fmt.padded_width // 8 * draw(st.sampled_from([1, 2, 4]))
    words = draw(st.integers(1, 5))
    frames = draw(st.integers(1, 4))
    lo, hi = fmt.value_range()
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).integers(lo, hi + 1, size=(frames, words * lanes))
    values[0, 0], values[-1, -1] = lo, hi  # both ends of the range
    return fmt, word_bytes, words, values


@settings(max_examples=300, deadline=None)
@given(streams())
def test_driver_packing_equals_streams_format(case):
    fmt, word_bytes, words, values = case
    reference = b"".join(w.to_bytes(word_bytes, "little") for w in fmt.pack_frames(values))
    packed = pack_words(values, fmt.lanes, fmt.bits, fmt.signed, word_bytes)
    assert packed.shape == (len(values), words * word_bytes)
    assert packed.tobytes() == reference
    back = unpack_words(packed, fmt.lanes, fmt.bits, fmt.signed, word_bytes, words)
    assert np.array_equal(back, values)
    words_back = [
        int.from_bytes(reference[i : i + word_bytes], "little")
        for i in range(0, len(reference), word_bytes)
    ]
    assert np.array_equal(fmt.unpack_frames(words_back, len(values)), back)


@pytest.mark.parametrize(
    "values, bits, signed", [([[4]], 2, False), ([[-1]], 3, False), ([[2]], 2, True)]
)
def test_out_of_range_values_are_refused(values, bits, signed):
    with pytest.raises(DriverError, match="must lie in"):
        pack_words(np.array(values), 1, bits, signed, 1)


def test_float_inputs_must_be_integers():
    assert pack_words(np.array([[3.0]]), 1, 4, False, 1).tolist() == [[3]]
    with pytest.raises(DriverError, match="integers"):
        pack_words(np.array([[1.5]]), 1, 4, False, 1)
