import json

import pytest
import torch
from qonnx.custom_op.registry import getCustomOp

from finnflow.build import run_build
from finnflow.errors import FoldingError
from finnflow.export import export_qonnx, load_model
from finnflow.folding import ApplyFolding, SetFolding, folding_config
from finnflow.hw.estimate import estimate_network
from finnflow.networks import build_conv, parse_precision
from finnflow.transforms import cleanup, convert_to_hw, split_dataflow, streamline


@pytest.fixture(scope="module")
def hw_model(build_dir, quick_config):
    out = build_dir / "folding"
    run_build(quick_config("w2a2", epochs=1), out)
    return load_model(out / "hw.onnx")


def test_apply_finn_format_config(hw_model, tmp_path):
    cfg = {"Defaults": {}, "MVAU_0": {"PE": 16, "SIMD": 32}, "MVAU_1": {"PE": 4, "SIMD": 8}}
    path = tmp_path / "folding.json"
    path.write_text(json.dumps(cfg))
    model = hw_model.transform(ApplyFolding(path))
    out = folding_config(model)
    assert out["MVAU_0"]["PE"] == 16 and out["MVAU_0"]["SIMD"] == 32
    assert out["MVAU_1"]["PE"] == 4 and out["LabelSelect_0"] == {"PE": 1}
    est = estimate_network(model, 100.0)
    assert est["layers"]["MVAU_0"]["cycles"] == (64 // 16) * (64 // 32)


@pytest.mark.parametrize(
    "cfg, match",
    [
        ({"MVAU_0": {"PE": 5}}, r"MVAU_0: PE=5 does not divide MH=64; valid PE values are"),
        ({"MVAU_1": {"SIMD": 7}}, r"MVAU_1: SIMD=7 does not divide MW=64"),
        ({"MVAU_9": {"PE": 1}}, r"names layer 'MVAU_9'.*MVAU_0, MVAU_1"),
        ({"MVAU_0": {"PEE": 2}}, r"'PEE' is not a folding attribute"),
        ({"MVAU_0": 4}, r"maps layer names to attributes"),
        ({"Defaults": {"PE": 2}}, r"Defaults: 'PE' must be \[value"),
        ({"MVAU_2": {"resType": "dsp"}}, r"MVAU_2: resType 'dsp' needs integer inputs.*'lut'"),
    ],
)
def test_bad_folding_is_named(hw_model, cfg, match):
    with pytest.raises(FoldingError, match=match):
        hw_model.transform(ApplyFolding(cfg))


def test_finn_defaults_apply_per_op_type(hw_model):
    cfg = {"Defaults": {"ram_style": ["block", ["MVAU"]], "PE": [2, "all"]}, "MVAU_1": {"PE": 4}}
    out = folding_config(hw_model.transform(ApplyFolding(cfg)))
    assert out["MVAU_0"]["PE"] == 2 and out["MVAU_1"]["PE"] == 4 and out["LabelSelect_0"]["PE"] == 2
    assert out["MVAU_0"]["ram_style"] == "block" and out["MVAU_2"]["ram_style"] == "block"


@pytest.mark.parametrize("target", [1, 50, 500, 5000])
def test_set_folding_reaches_target(hw_model, target):
    model = hw_model.transform(SetFolding(target))
    for node in model.graph.node:
        if node.domain == "finnflow.hw":
            inst = getCustomOp(node)
            inst.verify_folding()
            assert inst.get_exp_cycles() <= max(target, 1)


def test_set_folding_caps_the_weight_stream_as_finn_does(hw_model):
    """With FINN's ``mvau_wwidth_max``, an MVAU's SIMD x weight bits (2-bit weights) stays
    within the cap and PE grows instead, unless the SIMD that crosses the cap reaches the target;
    without it, SIMD grows to the layer's width."""
    for target, cap, simd, pe in ((1, 8, 4, 64), (600, 8, 8, 1), (1, None, 64, 64)):
        model = hw_model.transform(SetFolding(target, mvau_wwidth_max=cap))
        mvau = getCustomOp(model.get_node_from_name("MVAU_0"))
        assert mvau.get_weight_datatype().bitwidth() == 2
        assert (mvau.get_nodeattr("SIMD"), mvau.get_nodeattr("PE")) == (simd, pe)


def test_set_folding_turns_on_parallel_windows_when_channels_run_out(tmp_path):
    """A 3-channel first layer cannot reach a tight target by SIMD alone (SIMD <= 3): the
    greedy pass then emits whole windows; a loose target leaves the window serial."""
    torch.manual_seed(0)
    net = build_conv((3, 16, 16), 10, parse_precision("w2a2"), [{"conv": 8}], [8]).eval()
    model = export_qonnx(net, (3, 16, 16), tmp_path / "conv.onnx")
    dataflow = split_dataflow(convert_to_hw(streamline(cleanup(model)))).dataflow
    for target, parallel, cycles in ((256, 1, 16 * 16), (2000, 0, 14 * 14 * 9 * 3 // 3)):
        swg = getCustomOp(dataflow.transform(SetFolding(target)).graph.node[0])
        assert swg.onnx_node.op_type == "ConvolutionInputGenerator"
        assert swg.get_nodeattr("SIMD") == 3
        assert swg.get_nodeattr("parallel_window") == parallel
        assert swg.get_exp_cycles() == cycles
        assert not swg.verify_node()
