"""The build: named steps from a config to hardware layers, each writing into one build folder.

Steps: train (or load a checkpoint, or take the user's QONNX model), export, transform (cleanup,
streamline, convert to hardware layers), fold, partition, estimate, verify (bit-exactness of
every stage), rtlsim (generated RTL in Verilator). ``summary.json`` gathers the results."""

import json
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.custom_op.registry import getCustomOp

from finnflow.boards import get_board
from finnflow.config import BuildConfig
from finnflow.errors import ConfigError, ToolNotFoundError
from finnflow.execute import execute, execute_float64
from finnflow.export import export_qonnx, load_model
from finnflow.folding import ApplyFolding, SetFolding, save_folding, target_cycles
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import estimate_network
from finnflow.networks import build_fc, parse_precision
from finnflow.sim.rtlsim import simulate_stitched
from finnflow.tools import find_verilator
from finnflow.training import (
    Dataset,
    accuracy,
    load_checkpoint,
    load_dataset,
    predict,
    save_checkpoint,
    seed_everything,
    train,
)
from finnflow.transforms import cleanup, convert_to_hw, output_map, split_dataflow, streamline


def log(message: str) -> None:
    print(f"[finnflow] {message}", flush=True)


@dataclass
class BuildState:
    cfg: BuildConfig
    out: Path
    data: Dataset | None = None
    torch_model: object = None
    models: dict[str, ModelWrapper] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


def _save(state: BuildState, key: str, model: ModelWrapper, filename: str) -> ModelWrapper:
    model.save(str(state.out / filename))
    state.models[key] = model
    return model


def step_train(state: BuildState) -> None:
    cfg = state.cfg
    if cfg.dataset is not None:
        state.data = load_dataset(cfg.dataset, cfg.data_dir, cfg.download)
    if cfg.model is not None:
        return
    precision = parse_precision(cfg.precision)
    topology = None if cfg.network.upper() == "FC" else cfg.network
    seed_everything(cfg.train.seed)
    net = build_fc(
        state.data.in_features,
        state.data.num_classes,
        precision,
        topology,
        cfg.hidden,
        cfg.width,
        cfg.input_bits,
    )
    meta = {"network": cfg.network, "precision": cfg.precision, "dataset": state.data.name}
    if cfg.checkpoint:
        log(f"loading checkpoint {cfg.checkpoint}")
        try:
            load_checkpoint(net, Path(cfg.checkpoint))
        except (OSError, RuntimeError, KeyError, pickle.UnpicklingError) as e:
            raise ConfigError(
                f"cannot load checkpoint {cfg.checkpoint} into {cfg.network} {precision}: {e}; "
                "it must come from a build with the same network, precision, width and dataset"
            ) from e
        acc = accuracy(net, state.data.x_test, state.data.y_test)
    else:
        log(
            f"training {cfg.network} {precision} on {state.data.name} for {cfg.train.epochs} epochs"
        )
        result = train(
            net,
            state.data,
            cfg.train.epochs,
            cfg.train.batch_size,
            cfg.train.lr,
            cfg.train.seed,
            threads=cfg.train.threads,
        )
        save_checkpoint(net, state.out / "checkpoint.pt", result, meta)
        acc = result.test_accuracy
        state.summary["train_seconds"] = round(result.seconds, 2)
    state.torch_model = net
    state.summary["test_accuracy"] = acc
    log(f"test accuracy of the quantized network: {acc:.4f}")


def step_export(state: BuildState) -> None:
    if state.cfg.model is not None:
        log(f"loading QONNX model {state.cfg.model}")
        model = load_model(Path(state.cfg.model))
    else:
        model = export_qonnx(state.torch_model, state.data.in_features, state.out / "qonnx.onnx")
    _save(state, "qonnx", model, "qonnx.onnx")


def step_transform(state: BuildState) -> None:
    model = _save(state, "cleaned", cleanup(state.models["qonnx"]), "cleaned.onnx")
    model = _save(state, "streamlined", streamline(model), "streamlined.onnx")
    model = _save(state, "hw", convert_to_hw(model), "hw.onnx")
    names = [n.name for n in hw_nodes(model)]
    log(f"hardware layers: {', '.join(names)}")


def step_fold(state: BuildState) -> None:
    cfg, model = state.cfg, state.models["hw"]
    if cfg.folding is not None:
        model = model.transform(ApplyFolding(cfg.folding))
    else:
        model = model.transform(SetFolding(target_cycles(cfg.clock_mhz, cfg.target_fps)))
    _save(state, "folded", model, "folded.onnx")
    state.summary["folding"] = save_folding(model, state.out / "folding_config.json")


def step_partition(state: BuildState) -> None:
    part = split_dataflow(state.models["folded"])
    _save(state, "preprocess", part.preprocess, "preprocess.onnx")
    _save(state, "dataflow", part.dataflow, "dataflow.onnx")
    if part.postprocess is not None:
        _save(state, "postprocess", part.postprocess, "postprocess.onnx")
    state.summary["label_select_in_hw"] = part.postprocess is None


def step_estimate(state: BuildState) -> None:
    cfg = state.cfg
    est = estimate_network(state.models["dataflow"], cfg.clock_mhz, get_board(cfg.board))
    (state.out / "estimate.json").write_text(json.dumps(est, indent=2) + "\n")
    state.summary["estimate"] = est
    log(
        f"estimate: {est['max_cycles']} cycles/frame (bottleneck {est['bottleneck']}), "
        f"{est['fps']:.0f} FPS at {cfg.clock_mhz:g} MHz, {est['lut']} LUT, "
        f"{est['bram18']} BRAM18, {est['dsp']} DSP"
    )
    if not est["fits_board"]:
        log(f"warning: the design exceeds the {cfg.board}'s resources: {est['utilization']}")


def verification_inputs(
    state: BuildState, n: int | None = None
) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Real inputs for the checks: the user's .npy, else the dataset's test split; the first
    ``n`` of them (all of the user's, ``verify_samples`` of the dataset's, by default)."""
    cfg = state.cfg
    in_shape = state.models["qonnx"].get_tensor_shape(state.models["qonnx"].graph.input[0].name)
    if cfg.verify_inputs:
        path = Path(cfg.verify_inputs)
        if not path.is_file():
            raise ConfigError(f"verify_inputs file {path} does not exist")
        try:
            x = np.load(path).astype(np.float32).reshape(-1, *in_shape[1:])
        except (OSError, ValueError) as e:
            raise ConfigError(
                f"verify_inputs {path} must be a .npy array of inputs shaped like the model's "
                f"input {in_shape} (batch first): {e}"
            ) from e
        return x[:n], None, path.name
    if state.data is None:
        raise ConfigError(
            "no verification inputs: give `verify_inputs: FILE.npy` (or --inputs) or a `dataset`"
        )
    n = n or cfg.verify_samples
    x = state.data.x_test[:n]
    if int(np.prod(in_shape[1:])) != x.shape[1]:
        raise ConfigError(
            f"the model's input {in_shape} does not match dataset {state.data.name!r} "
            f"({x.shape[1]} features): give verify_inputs instead"
        )
    return x.reshape(-1, *in_shape[1:]), state.data.y_test[:n], f"{state.data.name} test split"


def _label_agreement(labels: np.ndarray, logits: np.ndarray) -> float:
    """Fraction of labels that are a maximizer of the exact (float64) reference logits; the
    tolerance only admits ties that float rounding splits."""
    best = logits.max(axis=-1)
    chosen = np.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    tol = 1e-9 * np.maximum(np.abs(best), 1.0)
    return float((chosen >= best - tol).mean())


def step_verify(state: BuildState) -> None:
    """Integer outputs of the last layer at every stage, compared with the first stage.

    Brevitas and QONNX (the exported graph after qonnx cleanup) compute in float64 and their
    outputs map back to integers through the affine software tail; the streamlined and hardware
    graphs are integer already."""
    x, y, source = verification_inputs(state)
    log(f"verifying bit-exactness on {len(x)} inputs ({source})")
    models = state.models
    omap = output_map(models["streamlined"])
    stage_ints, recovery = {}, {}
    if state.torch_model is not None:
        logits = predict(state.torch_model, x.reshape(len(x), -1), exact=True)
        stage_ints["brevitas"], recovery["brevitas"] = omap.to_int(logits)
    qonnx_out = execute_float64(models["cleaned"], x)[models["cleaned"].graph.output[0].name]
    stage_ints["qonnx"], recovery["qonnx"] = omap.to_int(qonnx_out)
    streamlined = execute(models["streamlined"], x, full_context=True)
    stage_ints["streamlined"] = streamlined[omap.int_tensor].astype(np.int64)
    hw_map = output_map(models["folded"])
    hw = execute(models["folded"], x, full_context=True)
    stage_ints["hw_layers"] = hw[hw_map.int_tensor].astype(np.int64)
    reference_stage = next(iter(stage_ints))
    reference = stage_ints[reference_stage]
    bit_exact = {
        stage: bool(np.array_equal(ints, reference))
        for stage, ints in stage_ints.items()
        if stage != reference_stage
    }
    pre, df = models["preprocess"], models["dataflow"]
    labels = execute(df, execute(pre, x)[pre.graph.output[0].name])[df.graph.output[0].name]
    if "postprocess" in models:
        post = models["postprocess"]
        labels = execute(post, labels)["label"]
    labels = labels.reshape(len(x), -1)[:, 0].astype(np.int64)
    if "label" in hw:
        hw_labels = hw["label"].reshape(len(x), -1)[:, 0]
    else:
        hw_labels = hw[models["folded"].graph.output[0].name].argmax(axis=-1)
    bit_exact["partitioned"] = bool(np.array_equal(labels, hw_labels))
    state.summary.update(
        bit_exact=bit_exact,
        bit_exact_reference=reference_stage,
        verified_samples=int(len(x)),
        verification_inputs=source,
        float_recovery_error=max(recovery.values()),
        label_agreement=_label_agreement(labels, omap.scale * reference + omap.offset),
    )
    if y is not None:
        state.summary["hw_accuracy"] = float((labels == y).mean())
    log(f"bit-exact vs {reference_stage}: {bit_exact}")
    if not all(bit_exact.values()):
        log("warning: stages disagree; inspect the models in the build folder")


RTLSIM_AUTO_MAX_LANES = 8192
RTLSIM_AUTO_MAX_CYCLES = 20_000_000


def rtlsim_wanted(state: BuildState) -> tuple[bool, str]:
    """Whether the rtlsim step runs: always, never, or (``auto``) for designs whose datapath
    (sum of PE x SIMD) and simulated cycles stay small enough to build and run in seconds."""
    cfg = state.cfg
    if cfg.rtlsim in (True, False):
        return cfg.rtlsim, "set in the config"
    est = state.summary["estimate"]
    lanes = sum(getCustomOp(n).datapath_lanes() for n in hw_nodes(state.models["dataflow"]))
    cycles = est["max_cycles"] * cfg.rtlsim_frames
    if lanes > RTLSIM_AUTO_MAX_LANES or cycles > RTLSIM_AUTO_MAX_CYCLES:
        return False, (
            f"skipped by rtlsim: auto ({lanes} PE x SIMD lanes, {cycles} cycles); "
            "set rtlsim: true to force it"
        )
    try:
        find_verilator()
    except ToolNotFoundError as e:
        return False, f"skipped by rtlsim: auto: {e}"
    return True, "auto"


def step_rtlsim(state: BuildState) -> None:
    """Generate the stitched RTL and simulate it with Verilator on real inputs, comparing the
    outputs with the Python execution of the same dataflow graph."""
    wanted, why = rtlsim_wanted(state)
    if not wanted:
        state.summary["rtlsim"] = {"skipped": why}
        log(f"rtlsim {why}")
        return
    cfg, pre, df = state.cfg, state.models["preprocess"], state.models["dataflow"]
    x, _, source = verification_inputs(state, cfg.rtlsim_frames)
    x_int = execute(pre, x)[pre.graph.output[0].name]
    expected = execute(df, x_int)[df.graph.output[0].name].reshape(len(x), -1)
    log(f"rtlsim: generating RTL and simulating {len(x)} frames ({source}) with Verilator")
    design, result = simulate_stitched(df, x_int, state.out / "rtl")
    summary = result.summary(cfg.clock_mhz)
    summary["bit_exact"] = bool(np.array_equal(result.outputs, expected.astype(np.int64)))
    est_cycles = state.summary["estimate"]["max_cycles"]
    summary["cycles_vs_estimate"] = round(result.cycles_per_frame / est_cycles, 4)
    state.summary["rtlsim"] = summary
    (state.out / "rtlsim.json").write_text(json.dumps(summary, indent=2) + "\n")
    log(
        f"rtlsim: bit-exact {summary['bit_exact']}, {result.cycles_per_frame:g} cycles/frame "
        f"(estimate {est_cycles}), latency {result.latency_cycles} cycles, "
        f"{summary['fps']:.0f} FPS at {cfg.clock_mhz:g} MHz"
    )


STEPS = {
    "train": step_train,
    "export": step_export,
    "transform": step_transform,
    "fold": step_fold,
    "partition": step_partition,
    "estimate": step_estimate,
    "verify": step_verify,
    "rtlsim": step_rtlsim,
}


def run_build(cfg: BuildConfig, out: Path | str | None = None) -> dict:
    """Run every step for ``cfg``; returns (and writes) ``summary.json``."""
    out = Path(out or Path("build") / cfg.name)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    state = BuildState(cfg, out)
    state.summary = {
        "name": cfg.name,
        "network": Path(cfg.model).name if cfg.model else cfg.network,
        "precision": cfg.precision if cfg.model is None else "from model",
        "input_bits": cfg.input_bits if cfg.model is None else None,
        "dataset": cfg.dataset,
        "test_accuracy": None,
        "board": get_board(cfg.board).name,
        "clock_mhz": cfg.clock_mhz,
    }
    steps = list(STEPS)
    if cfg.model is None and parse_precision(cfg.precision).is_float:
        steps = ["train"]
        state.summary["hardware"] = "skipped: float32 is the software reference"
    start = time.time()
    for name in steps:
        t0 = time.time()
        STEPS[name](state)
        state.summary.setdefault("step_seconds", {})[name] = round(time.time() - t0, 2)
    state.summary["build_seconds"] = round(time.time() - start, 2)
    (out / "summary.json").write_text(json.dumps(state.summary, indent=2, default=float) + "\n")
    log(f"wrote {out / 'summary.json'}")
    return state.summary
