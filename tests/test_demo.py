"""The embedded default: `finnflow demo` on digits, with the summary the README promises."""

import json

from finnflow.cli import main


def test_demo(tmp_path, capsys, tools_required):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test accuracy:" in printed and "estimated FPS:" in printed
    summary = json.loads((out / "summary.json").read_text())
    for key in (
        "network",
        "precision",
        "dataset",
        "test_accuracy",
        "bit_exact",
        "board",
        "clock_mhz",
        "folding",
        "estimate",
    ):
        assert key in summary
    for key in ("max_cycles", "fps", "lut", "bram18", "dsp"):
        assert key in summary["estimate"]
    assert summary["test_accuracy"] >= 0.90
    assert summary["board"] == "Pynq-Z1" and summary["clock_mhz"] == 100.0
    assert all(summary["bit_exact"].values())
    est = summary["estimate"]
    assert est["fps"] == 100e6 / est["max_cycles"]
    # folding: maximize stops at the I/O bound: 64 8-bit inputs over the 64-bit DMA per frame
    assert est["max_cycles"] == 8 and summary["folding_plan"]["binding"] == "io"
    assert summary["folding_mode"] == "maximize"
    for name in (
        "qonnx.onnx",
        "streamlined.onnx",
        "hw.onnx",
        "dataflow.onnx",
        "preprocess.onnx",
        "folded.onnx",
        "folding_config.json",
        "checkpoint.pt",
        "rtl/finnflow_top.v",
        "rtl/design.json",
    ):
        assert (out / name).is_file(), name
    rtlsim = summary["rtlsim"]
    if "skipped" in rtlsim and not tools_required:
        assert "Verilator not found" in rtlsim["skipped"]
    else:
        assert rtlsim["bit_exact"] and rtlsim["frames"] == 100
        assert rtlsim["cycles_per_frame"] == est["max_cycles"]
        assert rtlsim["fps"] == est["fps"] and "Verilator" in rtlsim["verilator"]
