"""Measured resources: synthesize a grid of single hardware layers and whole stitched networks
with Yosys, fit the resource model of the hardware layers to the measurements, and report
estimated against measured LUT, FF and BRAM before and after calibration.

    .venv/bin/python bench/calibrate_resources.py            # measure (cached), fit, report
    .venv/bin/python bench/calibrate_resources.py --no-fit   # report with the current model
    .venv/bin/python bench/calibrate_resources.py --ops StreamingMaxPool,FMPadding
                                   # measure and fit these ops only, keep the others' coefficients

Writes src/finnflow/hw/resource_model.json (the fitted coefficients), bench/results/resources.json
(every configuration: features, measured counts, estimates) and bench/results/resources.md.
Synthesis results are cached by RTL content, so a re-run after an RTL change re-synthesizes only
what changed. The "before" estimates are the analytical model the flow had before calibration,
recorded once in bench/results/resources_before.json. One layer in four (by a fixed hash of its
name) is held out of the fit and used to check it."""

import argparse
import hashlib
import json
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.datatype import DataType
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.util.basic import qonnx_make_model

from finnflow.build import run_build
from finnflow.config import BuildConfig, TrainConfig, validate
from finnflow.datatypes import int_type_for_range
from finnflow.export import load_model
from finnflow.hw import resources
from finnflow.hw.base import DOMAIN, bound_op
from finnflow.hw.estimate import estimate_network
from finnflow.synth import synthesize, synthesize_many, synthesize_node

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "datasets" / "mnist"
RESULTS = ROOT / "bench" / "results"
FAMILY = "xc7"


@dataclass
class Layer:
    """One single-layer synthesis case."""

    name: str
    op: str
    attrs: dict
    seed: int = 0
    table: bool = False  # a layer of the LUTs-per-lane table (fitted like the grid)
    measured: dict = field(default_factory=dict)


def held_out(name: str) -> bool:
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 4 == 0


def _mvau(name, w, a, mw, mh, simd, pe, out_bits=None, ram="distributed", table=False) -> Layer:
    attrs = dict(w=w, a=a, MW=mw, MH=mh, SIMD=simd, PE=pe, out_bits=out_bits, ram_style=ram)
    return Layer(name, "MVAU", attrs, table=table)


# MVAUs on the DSP datapath (resType dsp): (w, a, MW, MH, SIMD, PE, output bits or None)
DSP_CASES = [
    (2, 2, 64, 32, 16, 8, None),
    (4, 4, 64, 16, 8, 4, None),
    (4, 4, 128, 32, 16, 8, 2),
    (8, 8, 64, 16, 8, 2, None),
    (8, 8, 128, 16, 16, 4, 4),
    (3, 3, 64, 24, 8, 6, None),
    (2, 4, 128, 32, 32, 4, 1),
    (4, 2, 64, 64, 4, 8, None),
    (1, 4, 64, 32, 16, 4, None),
    (8, 4, 96, 24, 8, 3, 2),
    (2, 8, 64, 16, 16, 2, None),
    (4, 8, 64, 32, 8, 4, 2),
    (1, 2, 128, 64, 32, 8, 1),
    (3, 6, 64, 16, 4, 4, None),
]


def _dsp_mvaus() -> list[Layer]:
    layers = []
    for i, (w, a, mw, mh, simd, pe, out_bits) in enumerate(DSP_CASES):
        layer = _mvau(f"dsp{i:02d}_w{w}a{a}", w, a, mw, mh, simd, pe, out_bits, "block")
        layer.attrs["resType"] = "dsp"
        layers.append(layer)
    return layers


def grid() -> list[Layer]:
    """Layers spanning precisions 1..8, PE, SIMD, matrix sizes, activations and memory style."""
    rng = np.random.default_rng(2026)
    layers = []
    pairs = [(1, 1), (1, 2), (1, 4), (2, 1), (2, 2), (2, 4), (3, 3), (4, 2), (4, 4), (4, 8)]
    pairs += [(8, 4), (8, 8), (2, 8), (8, 2), (1, 8), (3, 1)]
    for i in range(64):
        w, a = pairs[i % len(pairs)]
        max_lanes = 256 if w * a <= 2 else 64  # keeps every Yosys run within seconds
        while True:
            mw = int(rng.choice([32, 64, 128, 256]))
            mh = int(rng.choice([8, 16, 32, 64]))
            simd = int(rng.choice([d for d in (1, 2, 4, 8, 16, 32) if mw % d == 0]))
            pe = int(rng.choice([d for d in (1, 2, 4, 8) if mh % d == 0]))
            if simd * pe <= max_lanes:
                break
        out_bits = None if rng.random() < 0.3 else int(rng.choice([1, 2, 4]))
        ram = "block" if (mw // simd) * (mh // pe) > 64 and rng.random() < 0.6 else "distributed"
        layers.append(_mvau(f"mvau{i:02d}_w{w}a{a}", w, a, mw, mh, simd, pe, out_bits, ram))
    layers += _dsp_mvaus()
    for i, (c, pe, bits, steps) in enumerate(
        [
            (64, 1, 8, 3),
            (64, 4, 8, 15),
            (128, 8, 12, 1),
            (32, 32, 6, 3),
            (256, 16, 10, 7),
            (16, 2, 16, 15),
            (64, 64, 8, 1),
            (512, 8, 9, 3),
            (32, 2, 8, 15),
            (64, 8, 6, 7),
            (128, 4, 10, 3),
            (48, 3, 8, 1),
            (96, 12, 4, 15),
            (256, 8, 8, 15),
            (16, 16, 12, 7),
            (80, 4, 16, 3),
        ]
    ):
        attrs = dict(C=c, PE=pe, bits=bits, steps=steps)
        layers.append(Layer(f"thr{i}_c{c}pe{pe}", "Thresholding", attrs))
    for i, (lanes, bits, depth) in enumerate(
        [
            (1, 2, 64),
            (16, 2, 4),
            (4, 8, 128),
            (64, 1, 16),
            (8, 4, 512),
            (2, 16, 32),
            (32, 2, 8),
            (2, 8, 256),
            (8, 8, 64),
            (1, 4, 2),
            (16, 4, 32),
            (4, 2, 1024),
        ]
    ):
        attrs = dict(lanes=lanes, bits=bits, depth=depth)
        layers.append(Layer(f"fifo{i}_{lanes * bits}x{depth}", "StreamingFIFO", attrs))
    for i, (bits, inl, outl) in enumerate(
        [
            (2, 4, 16),
            (2, 64, 8),
            (4, 5, 2),
            (1, 32, 64),
            (8, 1, 8),
            (2, 16, 4),
            (3, 2, 8),
            (1, 6, 4),
            (4, 10, 1),
            (2, 8, 40),
            (8, 6, 2),
            (1, 24, 8),
            (4, 12, 2),
            (2, 3, 15),
            (8, 2, 10),
        ]
    ):
        attrs = dict(bits=bits, in_lanes=inl, out_lanes=outl)
        layers.append(
            Layer(f"dwc{i}_{bits * inl}to{bits * outl}", "StreamingDataWidthConverter", attrs)
        )
    for i, (labels, pe, bits) in enumerate(
        [
            (10, 1, 8),
            (10, 10, 12),
            (100, 4, 16),
            (10, 2, 6),
            (10, 5, 16),
            (20, 4, 8),
            (64, 8, 10),
            (10, 1, 4),
            (16, 4, 12),
            (40, 2, 8),
            (10, 10, 4),
            (30, 6, 6),
            (16, 16, 6),
            (20, 20, 8),
            (10, 10, 8),
            (32, 8, 4),
        ]
    ):
        attrs = dict(Labels=labels, PE=pe, bits=bits)
        layers.append(Layer(f"label{i}_{labels}pe{pe}", "LabelSelect", attrs))
    return layers + image_grid()


IMAGE_OPS = ("ConvolutionInputGenerator", "StreamingMaxPool", "FMPadding")


def image_grid() -> list[Layer]:
    """Sliding windows, max pools and paddings over image sizes, channels, lanes, kernels,
    strides, bit widths and the sliding window's buffer memory."""
    layers = []
    for i, (h, c, lanes, k, s, bits, ram) in enumerate(
        [
            (8, 4, 1, 3, 1, 2, "distributed"),
            (8, 4, 4, 3, 1, 1, "distributed"),
            (16, 8, 2, 3, 1, 4, "distributed"),
            (16, 16, 16, 3, 1, 2, "distributed"),
            (32, 3, 3, 3, 1, 8, "distributed"),
            (32, 64, 4, 3, 1, 2, "block"),
            (14, 64, 8, 3, 1, 1, "block"),
            (28, 16, 4, 5, 1, 2, "distributed"),
            (12, 32, 32, 3, 2, 4, "distributed"),
            (9, 2, 2, 2, 3, 4, "distributed"),
            (10, 8, 4, 1, 1, 8, "distributed"),
            (30, 64, 16, 3, 1, 2, "block"),
            (16, 32, 8, 3, 1, 4, "block"),
            (6, 128, 32, 3, 1, 1, "distributed"),
            (20, 4, 4, 5, 2, 6, "distributed"),
            (8, 256, 64, 3, 1, 2, "block"),
        ]
    ):
        attrs = dict(h=h, c=c, lanes=lanes, k=k, s=s, bits=bits, ram_style=ram)
        layers.append(Layer(f"swg{i}_{h}x{h}x{c}k{k}s{s}simd{lanes}", IMAGE_OPS[0], attrs))
    for i, (h, c, lanes, k, bits, signed) in enumerate(
        [
            (8, 4, 1, 2, 4, 1),
            (16, 8, 2, 2, 4, 1),
            (32, 16, 4, 2, 2, 0),
            (28, 64, 8, 2, 1, 0),
            (14, 64, 64, 2, 2, 0),
            (10, 32, 4, 2, 8, 1),
            (7, 16, 16, 2, 4, 1),
            (12, 8, 1, 3, 6, 1),
            (30, 64, 16, 2, 2, 0),
            (16, 128, 32, 2, 1, 0),
            (9, 3, 3, 3, 8, 0),
            (24, 32, 2, 2, 4, 1),
            (6, 256, 64, 2, 2, 0),
            (20, 16, 8, 4, 3, 1),
        ]
    ):
        attrs = dict(h=h, c=c, lanes=lanes, k=k, bits=bits, signed=signed)
        layers.append(Layer(f"pool{i}_{h}x{h}x{c}k{k}pe{lanes}", IMAGE_OPS[1], attrs))
    for i, (h, c, lanes, pad, bits) in enumerate(
        [
            (8, 4, 1, (1, 1, 1, 1), 4),
            (16, 8, 2, (1, 1, 1, 1), 2),
            (32, 3, 3, (2, 2, 2, 2), 8),
            (28, 64, 8, (1, 1, 1, 1), 1),
            (14, 64, 64, (1, 1, 1, 1), 2),
            (10, 32, 4, (0, 1, 2, 3), 8),
            (30, 16, 16, (1, 1, 1, 1), 4),
            (7, 128, 32, (1, 1, 1, 1), 2),
            (12, 8, 1, (2, 0, 2, 0), 6),
            (5, 256, 64, (1, 1, 1, 1), 1),
            (24, 32, 2, (1, 2, 1, 2), 3),
            (16, 16, 4, (3, 3, 3, 3), 4),
        ]
    ):
        attrs = dict(h=h, c=c, lanes=lanes, pad=list(pad), bits=bits)
        layers.append(Layer(f"pad{i}_{h}x{h}x{c}simd{lanes}", IMAGE_OPS[2], attrs))
    return layers


def image_node(layer: Layer):
    """The node of an image layer of the grid (square images and kernels) and its input type."""
    a = layer.attrs
    bits, signed = a["bits"], a.get("signed", 0)
    dt = DataType[f"INT{bits}" if signed else ("BINARY" if bits == 1 else f"UINT{bits}")]
    h, c, lanes = a["h"], a["c"], a["lanes"]
    common = dict(inputDataType=dt.name, outputDataType=dt.name, numInputVectors=[1])
    if layer.op == "ConvolutionInputGenerator":
        k, s = a["k"], a["s"]
        attrs = dict(
            ConvKernelDim=[k, k],
            IFMChannels=c,
            IFMDim=[h, h],
            OFMDim=[(h - k) // s + 1] * 2,
            Stride=[s, s],
            SIMD=lanes,
            ram_style=a["ram_style"],
        )
    elif layer.op == "StreamingMaxPool":
        attrs = dict(ImgDim=[h, h], PoolDim=[a["k"]] * 2, NumChannels=c, PE=lanes)
    else:
        attrs = dict(ImgDim=[h, h], Padding=a["pad"], NumChannels=c, SIMD=lanes)
    return helper.make_node(layer.op, ["x"], ["y"], domain=DOMAIN, **attrs, **common), dt


TABLE_LANES = 32  # SIMD 8 x PE 4


def lanes_table() -> list[Layer]:
    """Per (weight bits, activation bits) in 1..8 x 1..8, an MVAU with 32 MAC lanes (SIMD 8 x
    PE 4) and the same layer with one lane, both without activation and with the weights in
    block RAM: their difference over 31 is the LUT cost of one MAC lane."""
    return [
        _mvau(f"{kind}_w{w}a{a}", w, a, 32, 16, simd, pe, None, "block", table=True)
        for w in range(1, 9)
        for a in range(1, 9)
        for kind, simd, pe in (("lanes", 8, 4), ("lane1", 1, 1))
    ]


def _types(w: int, a: int) -> tuple[DataType, DataType, bool]:
    """(input, weight) datatypes and XNOR mode of a w-bit-weight, a-bit-activation layer."""
    if w == 1 and a == 1:
        return DataType["BINARY"], DataType["BINARY"], True
    idt = DataType["BINARY"] if a == 1 else DataType[f"UINT{a}"]
    wdt = DataType["BIPOLAR"] if w == 1 else DataType[f"INT{w}"]
    return idt, wdt, False


def layer_model(layer: Layer) -> tuple[ModelWrapper, object]:
    """A graph of the one layer, with random integer parameters in range."""
    rng = np.random.default_rng(int(hashlib.sha256(layer.name.encode()).hexdigest()[:8], 16))
    a = layer.attrs
    inits = {}
    if layer.op == "MVAU":
        idt, wdt, xnor = _types(a["w"], a["a"])
        mw, mh = a["MW"], a["MH"]
        if xnor or wdt == DataType["BIPOLAR"]:
            w = rng.integers(0, 2, size=(mw, mh)) * (1 if xnor else 2) - (0 if xnor else 1)
        else:
            w = rng.integers(int(wdt.min()), int(wdt.max()) + 1, size=(mw, mh))
        lo = mw * min(0, int(idt.max()) * int(w.min()))
        hi = mw * int(idt.max()) * max(1, int(w.max()))
        acc = int_type_for_range(0, mw) if xnor else int_type_for_range(lo, hi)
        attrs = dict(
            MW=mw,
            MH=mh,
            SIMD=a["SIMD"],
            PE=a["PE"],
            inputDataType=idt.name,
            weightDataType=wdt.name,
            accDataType=acc.name,
            binaryXnorMode=int(xnor),
            ram_style=a["ram_style"],
            resType=a.get("resType", "lut"),
            numInputVectors=[1],
        )
        inits["w"] = (w, wdt)
        if a["out_bits"] is None:
            attrs.update(noActivation=1, outputDataType=acc.name)
        else:
            steps = 2 ** a["out_bits"] - 1
            t = np.sort(rng.integers(lo // 4, hi // 4 + 1, size=(mh, steps)), axis=1)
            inits["t"] = (t, int_type_for_range(min(int(t.min()), 0), max(int(t.max()), 0)))
            attrs.update(noActivation=0, outputDataType=f"UINT{a['out_bits']}")
        ins, shape_in, shape_out = ["x", *inits], [1, mw], [1, mh]
        node = helper.make_node("MVAU", ins, ["y"], domain=DOMAIN, **attrs)
        x_dt = idt
    elif layer.op == "Thresholding":
        c, steps, bits = a["C"], a["steps"], a["bits"]
        x_dt = DataType[f"INT{bits}"]
        t = np.sort(rng.integers(int(x_dt.min()), int(x_dt.max()) + 1, size=(c, steps)), axis=1)
        inits["t"] = (t, x_dt)
        odt = int_type_for_range(0, steps)
        node = helper.make_node(
            "Thresholding",
            ["x", "t"],
            ["y"],
            domain=DOMAIN,
            NumChannels=c,
            PE=a["PE"],
            numSteps=steps,
            inputDataType=x_dt.name,
            weightDataType=x_dt.name,
            outputDataType=odt.name,
            numInputVectors=[1],
        )
        shape_in = shape_out = [1, c]
    elif layer.op == "StreamingFIFO":
        x_dt = DataType[f"UINT{a['bits']}"]
        elements = a["lanes"] * 8
        node = helper.make_node(
            "StreamingFIFO",
            ["x"],
            ["y"],
            domain=DOMAIN,
            depth=a["depth"],
            folded_shape=[1, 8, a["lanes"]],
            normal_shape=[1, elements],
            dataType=x_dt.name,
        )
        shape_in = shape_out = [1, elements]
    elif layer.op == "StreamingDataWidthConverter":
        x_dt = DataType[f"UINT{a['bits']}"]
        elements = int(np.lcm(a["in_lanes"], a["out_lanes"])) * 2
        node = helper.make_node(
            "StreamingDataWidthConverter",
            ["x"],
            ["y"],
            domain=DOMAIN,
            shape=[1, elements],
            inWidth=a["in_lanes"] * a["bits"],
            outWidth=a["out_lanes"] * a["bits"],
            dataType=x_dt.name,
        )
        shape_in = shape_out = [1, elements]
    elif layer.op in IMAGE_OPS:
        node, x_dt = image_node(layer)
        op = getCustomOp(node)
        shape_in, shape_out = op.get_normal_input_shape(), op.get_normal_output_shape()
    else:
        x_dt = DataType[f"INT{a['bits']}"]
        odt = int_type_for_range(0, a["Labels"] - 1)
        node = helper.make_node(
            "LabelSelect",
            ["x"],
            ["y"],
            domain=DOMAIN,
            Labels=a["Labels"],
            PE=a["PE"],
            K=1,
            inputDataType=x_dt.name,
            outputDataType=odt.name,
            numInputVectors=[1],
        )
        shape_in, shape_out = [1, a["Labels"]], [1, 1]
    node.name = layer.name
    graph = helper.make_graph(
        [node],
        layer.name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape_in)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape_out)],
    )
    model = ModelWrapper(qonnx_make_model(graph))
    model.set_tensor_datatype("x", x_dt)
    for name, (value, dt) in inits.items():
        model.set_initializer(name, np.asarray(value, dtype=np.float32))
        model.set_tensor_datatype(name, dt)
    model = model.transform(InferShapes())
    return model, model.graph.node[0]


def layer_op(layer: Layer):
    """The layer's custom op, bound to its model (the estimates read its memories)."""
    model, node = layer_model(layer)
    return bound_op(node, model)


def measure(layers: list[Layer], work: Path, workers: int) -> None:
    models = [layer_model(layer) for layer in layers]
    done = []

    def call(model, node):
        # the LUT datapath without DSP inference, as in the flow's resource model; the DSP
        # datapath with it
        dsp = node.op_type == "MVAU" and getCustomOp(node).get_nodeattr("resType") == "dsp"
        res = synthesize_node(model, node, FAMILY, work, nodsp=not dsp)
        done.append(node.name)
        if len(done) % 10 == 0 or len(done) == len(layers):
            print(f"  {len(done)}/{len(layers)} layers synthesized", flush=True)
        return res

    calls = [(lambda m=m, n=n: call(m, n)) for m, n in models]
    t0 = time.time()
    results = synthesize_many(calls, workers=workers)
    for layer, res in zip(layers, results, strict=True):
        layer.measured = res.to_dict()
    cached = sum(r.cached for r in results)
    print(f"synthesized {len(layers)} layers ({cached} cached) in {time.time() - t0:.0f} s")


# ----------------------------------------------------------------------------- networks
NETWORKS = [  # (network, precision, input bits, target FPS, width)
    ("TFC", "w1a1", 1, 3_125_000, 1.0),  # 32 cycles/frame at 100 MHz
    ("TFC", "w1a1", 1, 100_000, 1.0),
    ("TFC", "w2a2", 8, 400_000, 1.0),
    ("TFC", "w2a2", 8, 100_000, 1.0),
    ("SFC", "w1a1", 1, 160_000, 1.0),
    ("SFC", "w1a1", 1, 20_000, 1.0),
    ("SFC", "w2a2", 8, 40_000, 1.0),
    ("SFC", "w2a2", 8, 10_000, 1.0),
    ("CNV", "w1a1", 8, 10_000, 0.25),  # the reduced CNV, on CIFAR-10
    ("CNV", "w2a2", 8, 10_000, 0.25),
]


def measure_networks(work: Path, workers: int, before: dict) -> list[dict]:
    mnist = ("mnist", str(SHARED_MNIST)) if SHARED_MNIST.is_dir() else ("digits", None)
    builds = []
    for network, precision, input_bits, fps, width in NETWORKS:
        # CNV finds the shared CIFAR-10 archives itself
        dataset, data_dir = ("cifar10", None) if network == "CNV" else mnist
        cfg = validate(
            BuildConfig(
                name=f"{network}-{precision}-{fps}" + (f"-x{width}" if width != 1 else ""),
                network=network,
                width=width,
                precision=precision,
                input_bits=input_bits,
                dataset=dataset,
                data_dir=data_dir,
                target_fps=fps,
                train=TrainConfig(epochs=1),
                rtlsim=False,
            )
        )
        out = work / cfg.name
        run_build(cfg, out, stop_step="rtlgen")
        builds.append((cfg, out))
    results = synthesize_many(
        [(lambda o=out: synthesize(o / "rtl", FAMILY)) for _, out in builds], workers=workers
    )
    rows = []
    for (cfg, out), res in zip(builds, results, strict=True):
        model = load_model(out / "folded.onnx")
        est = estimate_network(model, cfg.clock_mhz)
        rows.append(
            dict(
                design=f"{cfg.network} {cfg.precision}"
                + (f" (width {cfg.width})" if cfg.width != 1 else ""),
                cycles_per_frame=est["max_cycles"],
                estimate={k: est[k] for k in ("lut", "ff", "bram18", "dsp")},
                measured=res.to_dict(),
                before=before.get(cfg.name, {}),
                synth_seconds=res.seconds,
            )
        )
    return rows


# ----------------------------------------------------------------------------- fit and report
def _rel(est: float, meas: float) -> float:
    return (est - meas) / max(meas, 1)


def _cell(est: float, meas: float) -> str:
    return f"{est} / {meas} ({_rel(est, meas):+.0%})"


def error_stats(pairs: list[tuple[float, float]]) -> dict:
    errs = [abs(_rel(e, m)) for e, m in pairs]
    if not errs:
        return {"n": 0}
    return {
        "n": len(errs),
        "median": round(statistics.median(errs), 4),
        "worst": round(max(errs), 4),
    }


def estimates(layer: Layer) -> dict:
    op = layer_op(layer)
    return {
        "lut": op.lut_estimation(),
        "ff": op.ff_estimation(),
        "bram18": op.bram_estimation(),
        "features": resources.features(op),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-fit", action="store_true", help="report with the current model")
    p.add_argument("--skip-networks", action="store_true")
    p.add_argument(
        "--ops",
        help="comma-separated op types: measure and fit only these, keep the coefficients of "
        "the others (writes the model file only, no report)",
    )
    args = p.parse_args()
    if args.ops:
        calibrate_ops(args.ops.split(","), args.workers)
        return
    layers = grid() + lanes_table()
    before_file = RESULTS / "resources_before.json"
    before = json.loads(before_file.read_text()) if before_file.is_file() else {}
    with tempfile.TemporaryDirectory() as td:
        work = Path(td)
        measure(layers, work, args.workers)
        if not args.no_fit:
            data = [(layer_op(x), x.measured) for x in layers if not held_out(x.name)]
            resources.fit_and_save(data, yosys=layers[0].measured["yosys"])
        after = {layer.name: estimates(layer) for layer in layers}
        networks = (
            []
            if args.skip_networks
            else measure_networks(work, args.workers, before.get("networks", {}))
        )
    report(layers, before, after, networks)


def calibrate_ops(op_types: list[str], workers: int) -> None:
    """Measure the grid layers of ``op_types`` and refit their coefficients alone, into the
    model fitted with the same Yosys; print estimates against measurements."""
    layers = [x for x in grid() if x.op in op_types]
    missing = set(op_types) - {x.op for x in layers}
    if missing:
        raise SystemExit(f"no grid layers of {', '.join(sorted(missing))}")
    with tempfile.TemporaryDirectory() as td:
        measure(layers, Path(td), workers)
    model = json.loads(resources.MODEL_FILE.read_text())
    yosys = layers[0].measured["yosys"]
    if model["yosys"] != yosys:
        raise SystemExit(
            f"the model was fitted with {model['yosys']} and this is {yosys}: "
            "run the full calibration"
        )
    for op_type in op_types:
        pairs = [
            (layer_op(x), x.measured) for x in layers if x.op == op_type and not held_out(x.name)
        ]
        model["ops"][op_type] = {
            res: resources.fit([(resources.features(op, res), m[res]) for op, m in pairs])
            for res in resources.RESOURCES
        }
    model["ops"] = dict(sorted(model["ops"].items()))
    model["layers_fitted"] = sum(x.op in model["ops"] and not held_out(x.name) for x in grid())
    resources.MODEL_FILE.write_text(json.dumps(model, indent=1) + "\n")
    resources._model.cache_clear()
    print("| layer | split | LUT est / measured | FF | BRAM18 |\n|---|---|---|---|---|")
    for x in layers:
        est = estimates(x)
        cells = [_cell(est[r], x.measured[r]) for r in ("lut", "ff", "bram18")]
        split = "held_out" if held_out(x.name) else "fit"
        print(f"| {x.name} | {split} | " + " | ".join(cells) + " |")
    for split, keep in (("fit", False), ("held_out", True)):
        chosen = [x for x in layers if held_out(x.name) == keep]
        for res in ("lut", "ff"):
            stats = error_stats([(estimates(x)[res], x.measured[res]) for x in chosen])
            print(f"{split} {res}: {stats}")


def report(layers, before, after, networks) -> None:
    fit_layers = layers
    stats = {}
    for split, keep in (
        ("fit", lambda x: not held_out(x.name)),
        ("held_out", lambda x: held_out(x.name)),
    ):
        chosen = [x for x in fit_layers if keep(x)]
        stats[split] = {
            res: {
                "before": error_stats(
                    [
                        (before[x.name][res], x.measured[res])
                        for x in chosen
                        if before.get(x.name, {}).get(res) is not None
                    ]
                ),
                "after": error_stats([(after[x.name][res], x.measured[res]) for x in chosen]),
            }
            for res in ("lut", "ff", "bram18")
        }
    measured = {x.name: x.measured["lut"] for x in layers if x.table}
    table = {
        (w, a): round(
            (measured[f"lanes_w{w}a{a}"] - measured[f"lane1_w{w}a{a}"]) / (TABLE_LANES - 1), 2
        )
        for w in range(1, 9)
        for a in range(1, 9)
    }
    data = {
        "machine": platform.machine(),
        "python": sys.version.split()[0],
        "family": FAMILY,
        "yosys": layers[0].measured["yosys"],
        "error_stats": stats,
        "luts_per_lane": {f"w{w}a{a}": v for (w, a), v in table.items()},
        "layers": [
            dict(
                asdict(x),
                held_out=held_out(x.name),
                before=before.get(x.name, {}),
                after=after[x.name],
            )
            for x in layers
        ],
        "networks": networks,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "resources.json").write_text(json.dumps(data, indent=1, default=float) + "\n")
    md = [
        f"# Measured resources ({data['yosys']}, synth_xilinx -family {FAMILY} -nodsp; the DSP "
        "datapath's layers without -nodsp)",
        "",
    ]
    md += [
        "## Layer estimates against synthesis",
        "",
        "| resource | split | layers | median error before | worst before | median after "
        "| worst after |",
        "|---|---|---|---|---|---|---|",
    ]
    for res in ("lut", "ff", "bram18"):
        for split in ("fit", "held_out"):
            b, a = stats[split][res]["before"], stats[split][res]["after"]
            md.append(
                f"| {res} | {split} | {a['n']} | {b.get('median', 'n/a')} "
                f"| {b.get('worst', 'n/a')} | {a['median']} | {a['worst']} |"
            )
    md += [
        "",
        "## Measured LUTs per MAC lane",
        "",
        "LUTs of an MVAU with 32 lanes (SIMD 8 x PE 4) minus the same layer with one lane, "
        "over 31; "
        "32 x 16 matrix, no activation, weights in block RAM; rows weight bits, columns "
        "activation bits (1-bit weights are bipolar, w1a1 is XNOR-popcount).",
        "",
    ]
    md += ["| w \\ a | " + " | ".join(str(a) for a in range(1, 9)) + " |", "|---" * 9 + "|"]
    for w in range(1, 9):
        md.append(f"| {w} | " + " | ".join(str(table[(w, a)]) for a in range(1, 9)) + " |")
    if networks:
        md += [
            "",
            "## Stitched networks (estimate / measured, relative error)",
            "",
            "| design | cycles/frame | LUT before | LUT after | FF after | BRAM18 after | DSP "
            "| synth s |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for n in networks:
            e, m, b = n["estimate"], n["measured"], n["before"]
            before = _cell(b["lut"], m["lut"]) if b else "n/a"
            md.append(
                f"| {n['design']} | {n['cycles_per_frame']} | {before} "
                f"| {_cell(e['lut'], m['lut'])} | {_cell(e['ff'], m['ff'])} "
                f"| {_cell(e['bram18'], m['bram18'])} | {m['dsp']} | {n['synth_seconds']:.0f} |"
            )
    (RESULTS / "resources.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
