"""Stitching passes: width converters where word widths differ, a FIFO on every edge between
layers on the wide side, all in the estimate and the folding config."""

import pytest
from qonnx.custom_op.registry import getCustomOp

from finnflow.build import run_build
from finnflow.errors import FoldingError
from finnflow.export import load_model
from finnflow.folding import ApplyFolding, folding_config
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import estimate_network
from finnflow.transforms import InsertDWC, InsertFIFO, check_stream_widths, stitch


@pytest.fixture(scope="module")
def dataflow(build_dir, quick_config):
    out = build_dir / "stitch"
    run_build(quick_config("w2a2", epochs=1), out, stop_step="partition")
    return load_model(out / "dataflow.onnx")


def _chain(model):
    return [(n.op_type, n.name) for n in hw_nodes(model)]


def test_fifo_on_the_wide_side(dataflow):
    # MVAU_0 PE=4 -> MVAU_1 SIMD=2: narrowing, FIFO before the converter;
    # MVAU_1 PE=1 -> MVAU_2 SIMD=8: widening, FIFO after it (hidden sizes 64, 32)
    cfg = {"MVAU_0": {"PE": 4, "SIMD": 8}, "MVAU_1": {"PE": 1, "SIMD": 2}, "MVAU_2": {"SIMD": 8}}
    model = stitch(dataflow.transform(ApplyFolding(cfg)))
    ops = [op for op, _ in _chain(model)]
    assert ops[:7] == [
        "MVAU",
        "StreamingFIFO",
        "StreamingDataWidthConverter",
        "MVAU",
        "StreamingDataWidthConverter",
        "StreamingFIFO",
        "MVAU",
    ]
    fifos = [getCustomOp(n) for n in hw_nodes(model) if n.op_type == "StreamingFIFO"]
    assert fifos[0].get_folded_input_shape()[-1] == 4 and fifos[0].get_nodeattr("depth") == 16
    assert fifos[1].get_folded_input_shape()[-1] == 8 and fifos[1].get_nodeattr("depth") == 4
    check_stream_widths(model)
    assert model.transform(InsertDWC()).transform(InsertFIFO()).model == model.model
    est = estimate_network(model, 100.0)
    assert "StreamingFIFO_0" in est["layers"] and "StreamingDataWidthConverter_0" in est["layers"]
    assert est["layers"]["StreamingDataWidthConverter_0"]["cycles"] == 32
    config = folding_config(model)
    assert config["StreamingFIFO_1"] == {"depth": 4, "ram_style": "auto", "impl_style": "rtl"}
    assert config["StreamingDataWidthConverter_0"] == {"inWidth": 8, "outWidth": 4}


def test_folding_config_round_trip_sets_fifo_depths(dataflow):
    model = stitch(dataflow.transform(ApplyFolding({"MVAU_0": {"PE": 4}})))
    config = folding_config(model)
    config["StreamingFIFO_0"]["depth"] = 7
    again = stitch(dataflow.transform(ApplyFolding(config, strict=False)))
    again = again.transform(ApplyFolding(config))
    assert folding_config(again) == config


def test_converter_widths_against_neighbours_are_an_error(dataflow):
    model = stitch(dataflow.transform(ApplyFolding({"MVAU_0": {"PE": 4}})))
    name = next(n.name for n in hw_nodes(model) if n.op_type == "StreamingDataWidthConverter")
    model = model.transform(ApplyFolding({name: {"inWidth": 4}}))
    with pytest.raises(FoldingError, match=r"StreamingFIFO_0 sends 8-bit words but .* reads 4-bit"):
        check_stream_widths(model)
