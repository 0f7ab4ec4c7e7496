"""Generated popcount netlists (finnflow.rtl.popcount): every count exact, evaluated cell by cell
on random bits and on the extremes (every lane set, none set), for every lane count up to 80 and
wider ones. The Verilog written from the same cells is checked by the MVAU simulations
(tests/rtl/test_mvau.py) and lint."""

import numpy as np
import pytest

from finnflow.rtl.popcount import OPS, _op_bit, popcount_module, popcount_netlist

LANES = [*range(1, 81), 96, 128, 130, 200, 256, 511]


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_count_is_exact(op):
    rng = np.random.default_rng(op)
    for n in LANES:
        net = popcount_netlist(n, op)
        x, w = rng.integers(0, 2, (256, n)), rng.integers(0, 2, (256, n))
        x[0], w[0] = 1, int(op != 2)  # every lane set: x & w, XNOR and !w all 1
        x[1], w[1] = 0, int(op != 0)  # none set: x & w with x = 0, XNOR with x != w, !w with w = 1
        want = _op_bit(op, x, w).sum(axis=1)
        assert want[0] == n and want[1] == 0
        np.testing.assert_array_equal(net.evaluate(x, w), want, err_msg=f"{n} lanes, op {op}")


def test_cost_of_a_64_lane_xnor_popcount():
    """78 LUT sites (the behavioral tree of full adders took 110 LUTs in Yosys 0.23); the output
    is registered, with one pipeline level per two compression stages."""
    net = popcount_netlist(64, 1)
    assert net.luts == 78
    assert net.registers == 3


def test_unknown_pair_is_an_elaboration_error():
    text = popcount_module({(64, 1)})
    assert "N == 64 && OP == 1" in text and "N == 1 && OP == 0" in text
    assert "no netlist for this N and OP" in text
    with pytest.raises(ValueError, match="op 3"):
        popcount_netlist(4, 3)
