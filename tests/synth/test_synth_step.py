"""The synth build step and the calibrated resource model: a whole stitched design's measured
LUT and FF counts match the estimate within the calibration target, and the shipped model covers
every hardware op for the pinned Yosys."""

import numpy as np
import pytest

from finnflow.build import run_build
from finnflow.hw import resources
from finnflow.synth import YOSYS_PINNED

HW_OPS = ("MVAU", "Thresholding", "LabelSelect", "StreamingFIFO", "StreamingDataWidthConverter")


def test_fit_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    truth = {"a": 3.0, "b": 0.5, "constant": 40.0}
    rows = []
    for _ in range(30):
        feats = {
            "a": float(rng.integers(1, 100)),
            "b": float(rng.integers(1, 500)),
            "constant": 1.0,
        }
        rows.append((feats, sum(truth[k] * v for k, v in feats.items())))
    fitted = resources.fit(rows)
    assert all(abs(fitted[k] - truth[k]) < 1e-3 * max(1, truth[k]) for k in truth)


def test_shipped_model_covers_every_op():
    model = resources._model()
    assert YOSYS_PINNED in model["yosys"]
    for op in HW_OPS:
        for res in resources.RESOURCES:
            coeffs = model["ops"][op][res]
            assert coeffs and all(v >= 0 for v in coeffs.values()), (op, res)


@pytest.mark.parametrize("precision, fps", [("w2a2", 100_000), ("w1a1", 400_000)])
def test_synth_step_measures_within_target(precision, fps, build_dir, quick_config, yosys_exe):
    cfg = quick_config(precision, input_bits=1 if precision == "w1a1" else 8, epochs=1)
    cfg.target_fps, cfg.synth = fps, True
    summary = run_build(cfg, build_dir / f"synth-{precision}-{fps}")
    synth = summary["synth"]
    assert synth["lut"] > 0 and synth["ff"] > 0 and synth["dsp"] == 0
    assert YOSYS_PINNED in synth["yosys"]
    assert synth["bram18"] == summary["estimate"]["bram18"]
    for res in ("lut", "ff"):
        assert abs(synth["estimate_error"][res]) <= 0.25, (res, synth["estimate_error"])
    assert 0 < synth["utilization"]["lut"] < 1


def test_synth_step_counts_the_dsp_datapath(build_dir, quick_config, yosys_exe):
    """MVAUs on resType "dsp": rtlsim stays bit-exact, and Yosys maps exactly the DSP slices
    the estimate counts (several products per slice), where the LUT datapath maps none."""
    folding = {f"MVAU_{i}": {"PE": 8, "SIMD": 16, "resType": "dsp"} for i in (0, 1)}
    cfg = quick_config("w2a2", epochs=1, folding=folding, rtlsim=True)
    cfg.synth = True
    summary = run_build(cfg, build_dir / "synth-dsp")
    assert summary["rtlsim"]["bit_exact"]
    synth, est = summary["synth"], summary["estimate"]
    assert 0 < synth["dsp"] == est["dsp"] < 2 * 8 * 16
    assert abs(synth["estimate_error"]["lut"]) <= 0.25, synth["estimate_error"]
