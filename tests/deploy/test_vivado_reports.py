"""Vivado's post-route reports as numbers, on excerpts written by hand in the format Vivado
documents and prints (reports/): 7-series names with the "Prohibited" column of newer versions,
UltraScale+ names without it, a synthesized report's starred LUT row and fractional block RAM
tiles, a timing summary that is met and one that is not."""

from pathlib import Path

import pytest

from finnflow.errors import FinnflowError
from finnflow.synth.vivado_reports import parse_timing_summary, parse_utilization

REPORTS = Path(__file__).with_name("reports")


def _read(name: str) -> str:
    return (REPORTS / name).read_text()


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "utilization_xc7.rpt",
            dict(lut=4871, ff=6102, bram_tiles=6.5, bram18=13, uram=0, dsp=0),
        ),
        ("utilization_xcup.rpt", dict(lut=2734, ff=3305, bram_tiles=4, bram18=8, uram=0, dsp=2)),
        (
            "utilization_zcu104.rpt",
            dict(lut=101234, ff=120456, bram_tiles=120.5, bram18=241, uram=24, dsp=17),
        ),
    ],
)
def test_utilization(name, expected):
    used = parse_utilization(_read(name))
    assert {k: used[k] for k in expected} == expected
    assert used["vivado"].startswith("Vivado v.20")


def test_timing_met():
    t = parse_timing_summary(_read("timing_summary_met.rpt"), clock_mhz=100.0)
    assert t["wns_ns"] == 1.846 and t["tns_ns"] == 0.0
    assert t["whs_ns"] == 0.018 and t["wpws_ns"] == 3.75
    assert t["timing_met"] is True and t["failing_endpoints"] == 0
    assert t["fmax_mhz"] == pytest.approx(1e3 / (10 - 1.846), abs=0.01)


def test_timing_not_met():
    t = parse_timing_summary(_read("timing_summary_failed.rpt"), clock_mhz=200.0)
    assert t["wns_ns"] == -0.412 and t["tns_ns"] == -35.118
    assert t["timing_met"] is False and t["failing_endpoints"] == 187
    assert t["fmax_mhz"] == pytest.approx(1e3 / 5.412, abs=0.01)


def test_timing_without_the_verdict_line_falls_back_to_the_slacks():
    text = _read("timing_summary_failed.rpt").replace("Timing constraints are not met.", "")
    assert parse_timing_summary(text)["timing_met"] is False
    text = _read("timing_summary_met.rpt").replace("All user specified", "")
    assert parse_timing_summary(text)["timing_met"] is True


@pytest.mark.parametrize(
    "parse, name, match",
    [
        (parse_utilization, "timing_summary_met.rpt", "not a Vivado report_utilization"),
        (parse_timing_summary, "utilization_xc7.rpt", "not a Vivado report_timing_summary"),
    ],
)
def test_other_text_is_refused(parse, name, match):
    with pytest.raises(FinnflowError, match=match):
        parse(_read(name), source=name)
