"""The named build steps, in order: train, export, transform, partition, fold, estimate,
verify, rtlgen, rtlsim, synth. Each step reads and writes typed artifacts of the build folder and
returns the entries it adds to ``summary.json``; :mod:`finnflow.build.run` runs them, resumes
them and decides which a changed config invalidates."""

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from qonnx.custom_op.registry import getCustomOp

from finnflow.boards import RESOURCES, get_board
from finnflow.build.folder import Artifact, BuildFolder, flow_version
from finnflow.config import BuildConfig
from finnflow.errors import ConfigError, ToolNotFoundError
from finnflow.execute import execute, execute_float64
from finnflow.export import check_quantized, export_qonnx, load_model
from finnflow.files import atomic_path
from finnflow.folding import (
    ApplyFolding,
    SetFolding,
    folding_config,
    maximize_with_sizing,
    target_cycles,
)
from finnflow.hw.base import hw_nodes
from finnflow.hw.estimate import estimate_layers, estimate_network, expected_cycles
from finnflow.networks import build_network, parse_precision
from finnflow.rtl import StitchedDesign, generate_rtl
from finnflow.sim.fifo_sizing import size_fifos
from finnflow.sim.rtlsim import run_design
from finnflow.synth import family_for, synthesize
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
from finnflow.transforms import (
    check_stream_widths,
    cleanup,
    convert_to_hw,
    output_map,
    split_dataflow,
    stitch,
    streamline,
)


def log(message: str) -> None:
    print(f"[finnflow] {message}", flush=True)


class Build(BuildFolder):
    """A build folder together with the config it is built from."""

    def __init__(self, cfg: BuildConfig, out: Path | str):
        super().__init__(out)
        self.cfg = cfg

    @cached_property
    def data(self) -> Dataset | None:
        cfg = self.cfg
        return (
            None if cfg.dataset is None else load_dataset(cfg.dataset, cfg.data_dir, cfg.download)
        )

    def network(self):
        """The untrained Brevitas network the config describes."""
        cfg = self.cfg
        return build_network(
            cfg.network,
            self.data.input_shape,
            self.data.num_classes,
            parse_precision(cfg.precision),
            cfg.hidden,
            cfg.layers,
            cfg.width,
            cfg.input_bits,
        )

    @cached_property
    def torch_model(self):
        """The trained network from ``checkpoint.pt`` (None for a user's QONNX model)."""
        if self.cfg.model is not None:
            return None
        if not self.checkpoint.exists(self):
            raise self.checkpoint.missing(self)
        net = self.network()
        load_checkpoint(net, self.checkpoint.path(self))
        return net


@dataclass(frozen=True)
class Step:
    """A named step: what it reads and writes, and the config fields it depends on (a change in
    one of them re-runs this step and every later one)."""

    name: str
    run: Callable[[Build], dict]
    reads: tuple[Artifact, ...]
    writes: tuple[Artifact, ...]
    config: tuple[str, ...] = ()


TRAIN_STATE = "train_state.pt"


def step_train(b: Build) -> dict:
    """Train the network (or load the config's checkpoint) into ``checkpoint.pt``. Training
    saves ``train_state.pt`` after every epoch and resumes from it when the build is started
    again after an interruption; it is removed once ``checkpoint.pt`` is written."""
    cfg = b.cfg
    precision = parse_precision(cfg.precision)
    seed_everything(cfg.train.seed)
    net = b.network()
    meta = {"network": cfg.network, "precision": cfg.precision, "dataset": b.data.name}
    entries = {}
    if cfg.checkpoint:
        log(f"loading checkpoint {cfg.checkpoint}")
        load_checkpoint(net, Path(cfg.checkpoint))
        save_checkpoint(net, b.checkpoint.path(b), meta)
        acc = accuracy(net, b.data.x_test, b.data.y_test)
    else:
        t, augment = cfg.train, cfg.augmentation()
        with_aug = " with random crop and flip" if augment else ""
        log(f"training {cfg.network} {precision} on {b.data.name} for {t.epochs} epochs{with_aug}")
        state = b.out / TRAIN_STATE
        run = {f: cfg.to_dict()[f] for f in TRAINING if f != "train"}
        result = train(
            net,
            b.data,
            t.epochs,
            t.batch_size,
            t.lr,
            t.seed,
            threads=t.threads,
            augment=augment,
            device=t.device,
            logit_scale=t.logit_scale,
            state_path=state,
            state_meta={"flow": flow_version(), **run},
            log=log,
        )
        save_checkpoint(net, b.checkpoint.path(b), meta, result)
        state.unlink(missing_ok=True)
        acc = result.test_accuracy
        entries["train_seconds"] = round(result.seconds, 2)
    log(f"test accuracy of the quantized network: {acc:.4f}")
    return {"test_accuracy": acc, **entries}


def step_export(b: Build) -> dict:
    """Brevitas -> QONNX (or the user's QONNX model) into ``qonnx.onnx``."""
    if b.cfg.model is not None:
        log(f"loading QONNX model {b.cfg.model}")
        model = load_model(Path(b.cfg.model))
        check_quantized(model, Path(b.cfg.model))
        b.qonnx = model
    else:
        with tempfile.TemporaryDirectory(dir=b.out) as tmp:
            net = b.torch_model
            b.qonnx = export_qonnx(net, net.input_shape, Path(tmp) / "qonnx.onnx")
    return {}


def step_transform(b: Build) -> dict:
    """Cleanup, streamlining to an integer graph, conversion to hardware layers."""
    b.cleaned = cleanup(b.qonnx)
    b.streamlined = streamline(b.cleaned)
    b.hw = convert_to_hw(b.streamlined)
    names = [n.name for n in hw_nodes(b.hw)]
    log(f"hardware layers: {', '.join(names)}")
    return {"hardware_layers": names}


def step_partition(b: Build) -> dict:
    """Software pre-processing, the dataflow region, and software post-processing if any."""
    part = split_dataflow(b.hw)
    b.preprocess, b.dataflow, b.postprocess = part.preprocess, part.dataflow, part.postprocess
    return {"label_select_in_hw": part.postprocess is None}


def _log_plan(plan) -> None:
    for name, attrs in plan.folding.items():
        log(f"  {name}: " + ", ".join(f"{a}={v}" for a, v in attrs.items()))
    use = ", ".join(
        f"{r.upper()} {plan.resources[r]}/{plan.budget[r]}"
        for r in ("lut", "ff", "bram18", "uram", "dsp")
        if plan.budget[r] or plan.resources[r]
    )
    d = plan.to_dict()
    log(f"  uses {use} (usable budget); bound by {plan.binding}")
    log(
        f"  {d['fps']:.0f} FPS: {d['fraction_of_compute_bound']:.0%} of the compute bound "
        f"({d['compute_bound_fps']:.0f}), {d['fraction_of_io_bound']:.0%} of the I/O bound "
        f"({d['io_bound_fps']:.0f}, {plan.io_bound_cycles} cycles)"
    )


def step_fold(b: Build) -> dict:
    """Folding of every layer (``maximize``: the fastest within the board's budget, with FIFOs
    costed as sizing will leave them, see ``maximize_with_sizing``; ``target_fps``: FINN's
    SetFolding towards the target; or the config's FINN JSON), then width converters and FIFOs,
    sized from rtlsim; the folding config lists them all."""
    cfg, model = b.cfg, b.dataflow
    mode, entries = cfg.folding_mode(), {}
    if mode == "maximize":
        board = get_board(cfg.board)
        log(f"folding: searching for the fastest design within the {board.name}'s budget")

        def size(folded):
            b.folded = folded
            _check_budget(cfg, folded, without_fifos=True)
            report = _size_fifos(b)
            return (b.folded, report) if report else None

        sizing = None if cfg.fifo_sizing is False else size
        plan, b.folded, report = maximize_with_sizing(model, board, cfg.clock_mhz, sizing, log)
        log(f"folding: {plan.cycles} cycles/frame, found in {plan.seconds:.2f} s")
        _log_plan(plan)
        plan_dict = plan.to_dict()
        entries["folding_seconds"] = plan_dict.pop("seconds")
        entries["folding_plan"] = {k: v for k, v in plan_dict.items() if k != "folding"}
    else:
        if mode == "file":
            model = model.transform(ApplyFolding(cfg.folding, strict=False))
        else:
            model = model.transform(SetFolding(target_cycles(cfg.clock_mhz, cfg.target_fps)))
        model = stitch(model)
        if mode == "file":
            model = model.transform(ApplyFolding(cfg.folding))
            check_stream_widths(model)
        b.folded = model
        _check_budget(cfg, model, without_fifos=True)
        report = _size_fifos(b)
    if report:
        entries["fifo_sizing_seconds"] = report.pop("seconds")
        entries["fifo_sizing"] = report
    config = folding_config(b.folded)
    b.folding_config = config
    return {"folding_mode": mode, "folding": config, **entries}


def _size_fifos(b: Build) -> dict | None:
    """FIFO depths from rtlsim (``fifo_sizing``: always, never, or with rtlsim), written into
    ``b.folded``; the sizing report, or None where the one-frame FIFOs stay."""
    cfg = b.cfg
    if cfg.fifo_sizing is False:
        return None
    if cfg.fifo_sizing == "auto":
        wanted, why = rtlsim_wanted(b, expected_cycles(b.folded))
        if not wanted:
            log(f"fifo sizing skipped with rtlsim ({why}): FIFOs stay one frame deep")
            return None
    x, source = dataflow_inputs(b, FIFO_SIZING_FRAMES)
    log(f"fifo sizing: rtlsim with FIFOs that never fill, on {len(x)} frames ({source})")
    b.folded, report = size_fifos(b.folded, x, b.out / "fifo_sizing", log=log)
    log(
        f"fifo sizing: {len(report.fifos)} FIFOs, {report.bits_before} -> {report.bits_after} "
        f"bits, {report.cycles_per_frame:g} cycles/frame (expected {report.expected_cycles}) "
        f"in {report.seconds:.1f} s"
    )
    out = report.to_dict()
    out.pop("build_seconds")
    return out


def step_estimate(b: Build) -> dict:
    """Cycles per layer, FPS and resources of the stitched design against the board."""
    cfg = b.cfg
    est = estimate_network(b.folded, cfg.clock_mhz, get_board(cfg.board))
    b.estimate = est
    log(
        f"estimate: {est['max_cycles']} cycles/frame (bottleneck {est['bottleneck']}), "
        f"{est['fps']:.0f} FPS at {cfg.clock_mhz:g} MHz, {est['lut']} LUT, "
        f"{est['bram18']} BRAM18, {est['dsp']} DSP"
    )
    _check_budget(cfg, b.folded)
    return {"estimate": est}


def _over_budget(cfg: BuildConfig, model, without_fifos: bool = False) -> str:
    """What of ``model`` is over the board's budget ("" if nothing), each resource with by how
    much; ``without_fifos`` counts the layers and converters alone."""
    budget = get_board(cfg.board).budget()
    layers = [
        layer
        for layer in estimate_layers(model).values()
        if not (without_fifos and layer["op_type"] == "StreamingFIFO")
    ]
    need = {r: sum(layer[r] for layer in layers) for r in RESOURCES}
    return ", ".join(
        f"{need[r]} {r.upper()} (budget {budget[r]}, over by {need[r] - budget[r]})"
        for r in RESOURCES
        if need[r] > budget[r]
    )


def _check_budget(cfg: BuildConfig, model, without_fifos: bool = False) -> None:
    """Refuse a design over the board's budget, naming each resource and by how much.
    ``without_fifos`` checks the layers and converters alone, before FIFO sizing simulates
    anything: the FIFOs only add to them."""
    over = _over_budget(cfg, model, without_fifos)
    if over:
        board = get_board(cfg.board)
        mode = cfg.folding_mode()
        fix = f"target_fps (now {cfg.target_fps:g})" if mode == "target_fps" else "the folding"
        fifos = " before its FIFOs" if without_fifos else ""
        raise ConfigError(
            f"the design does not fit the {board.name} ({board.usable:.0%} of the device "
            f"usable): it needs{fifos} {over}; lower {fix}, use `folding: maximize`, or choose "
            "a larger board"
        )


def _load_inputs(path: Path, in_shape: list[int]) -> np.ndarray:
    """The user's .npy inputs as float32, batch first in the model's input shape: numbers only
    (a pickled object array is refused unread), finite, and of a matching size."""
    if not path.is_file():
        raise ConfigError(f"verify_inputs file {path} does not exist")
    with open(path, "rb") as f:
        if f.read(6) != b"\x93NUMPY":
            raise ConfigError(f"verify_inputs {path} is not a .npy file: save inputs with np.save")
    try:
        x = np.load(path, allow_pickle=False)
    except ValueError as e:
        what = "Python objects" if "allow_pickle" in str(e) else "no .npy array"
        raise ConfigError(
            f"verify_inputs {path} holds {what}, not numbers: save a numeric array with np.save"
        ) from None
    except OSError as e:
        raise ConfigError(f"cannot read verify_inputs {path}: {e}") from None
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "biuf":
        raise ConfigError(f"verify_inputs {path} holds {x.dtype} values, not numbers")
    per_frame = int(np.prod(in_shape[1:]))
    if x.size == 0 or x.size % per_frame:
        raise ConfigError(
            f"verify_inputs {path} has shape {list(x.shape)}, which is no whole number of the "
            f"model's inputs {list(in_shape)} ({per_frame} values each, batch first)"
        )
    if not np.all(np.isfinite(x)):
        bad = np.argwhere(~np.isfinite(x))[0].tolist()
        raise ConfigError(
            f"verify_inputs {path} holds NaN or infinite values (the first at index {bad}): "
            "give finite inputs"
        )
    return x.astype(np.float32).reshape(-1, *in_shape[1:])


def verification_inputs(
    b: Build, n: int | None = None
) -> tuple[np.ndarray, np.ndarray | None, str]:
    """Real inputs for the checks: the user's .npy, else the dataset's test split; the first
    ``n`` of them (all of the user's, ``verify_samples`` of the dataset's, by default)."""
    cfg = b.cfg
    in_shape = b.qonnx.get_tensor_shape(b.qonnx.graph.input[0].name)
    if cfg.verify_inputs:
        path = Path(cfg.verify_inputs)
        x = _load_inputs(path, in_shape)
        return x[:n], None, path.name
    if b.data is None:
        raise ConfigError(
            "no verification inputs: give `verify_inputs: FILE.npy` (or --inputs) or a `dataset`"
        )
    n = n or cfg.verify_samples
    x = b.data.x_test[:n]
    if int(np.prod(in_shape[1:])) != x.shape[1]:
        raise ConfigError(
            f"the model's input {in_shape} does not match dataset {b.data.name!r} "
            f"({x.shape[1]} features): give verify_inputs instead"
        )
    return x.reshape(-1, *in_shape[1:]), b.data.y_test[:n], f"{b.data.name} test split"


def dataflow_inputs(b: Build, n: int) -> tuple[np.ndarray, str]:
    """The first ``n`` verification inputs as the dataflow region takes them (integers, after
    the software preprocessing), and where they come from."""
    x, _, source = verification_inputs(b, n)
    pre = b.preprocess
    return execute(pre, x)[pre.graph.output[0].name], source


def _label_agreement(labels: np.ndarray, logits: np.ndarray) -> float:
    """Fraction of labels that are a maximizer of the exact (float64) reference logits; the
    tolerance only admits ties that float rounding splits."""
    best = logits.max(axis=-1)
    chosen = np.take_along_axis(logits, labels[:, None], axis=-1)[:, 0]
    tol = 1e-9 * np.maximum(np.abs(best), 1.0)
    return float((chosen >= best - tol).mean())


def _pipeline_labels(b: Build, x: np.ndarray) -> np.ndarray:
    """Labels through preprocess -> stitched dataflow -> postprocess, as the accelerator runs."""
    pre, df, post = b.preprocess, b.folded, b.postprocess
    out = execute(df, execute(pre, x)[pre.graph.output[0].name])[df.graph.output[0].name]
    if post is not None:
        out = execute(post, out)["label"]
    return out.reshape(len(x), -1)[:, 0].astype(np.int64)


def step_verify(b: Build) -> dict:
    """Integer outputs of the last layer at every stage, compared with the first stage.

    Brevitas and QONNX (the exported graph after qonnx cleanup) compute in float64 and their
    outputs map back to integers through the affine software tail; the streamlined and hardware
    graphs are integer already. The partitioned pipeline is checked on its labels."""
    x, y, source = verification_inputs(b)
    log(f"verifying bit-exactness on {len(x)} inputs ({source})")
    omap = output_map(b.streamlined)
    stage_ints, recovery = {}, {}
    if b.torch_model is not None:
        logits = predict(b.torch_model, x.reshape(len(x), -1), exact=True)
        stage_ints["brevitas"], recovery["brevitas"] = omap.to_int(logits)
    qonnx_out = execute_float64(b.cleaned, x)[b.cleaned.graph.output[0].name]
    stage_ints["qonnx"], recovery["qonnx"] = omap.to_int(qonnx_out)
    streamlined = execute(b.streamlined, x, full_context=True)
    stage_ints["streamlined"] = streamlined[omap.int_tensor].astype(np.int64)
    hw = execute(b.hw, x, full_context=True)
    stage_ints["hw_layers"] = hw[output_map(b.hw).int_tensor].astype(np.int64)
    reference_stage = next(iter(stage_ints))
    reference = stage_ints[reference_stage]
    bit_exact = {
        stage: bool(np.array_equal(ints, reference))
        for stage, ints in stage_ints.items()
        if stage != reference_stage
    }
    labels = _pipeline_labels(b, x)
    if "label" in hw:
        hw_labels = hw["label"].reshape(len(x), -1)[:, 0]
    else:
        hw_labels = hw[b.hw.graph.output[0].name].argmax(axis=-1)
    bit_exact["partitioned"] = bool(np.array_equal(labels, hw_labels))
    entries = dict(
        bit_exact=bit_exact,
        bit_exact_reference=reference_stage,
        verified_samples=int(len(x)),
        verification_inputs=source,
        float_recovery_error=max(recovery.values()),
        label_agreement=_label_agreement(labels, omap.scale * reference + omap.offset),
    )
    if y is not None:
        entries["hw_accuracy"] = float((labels == y).mean())
    log(f"bit-exact vs {reference_stage}: {bit_exact}")
    if not all(bit_exact.values()):
        log("warning: stages disagree; inspect the models in the build folder")
    return entries


def step_rtlgen(b: Build) -> dict:
    """The RTL of the stitched design into ``rtl/`` (written whole, then moved into place)."""
    with atomic_path(b.rtl.path(b)) as tmp:
        design = generate_rtl(b.folded, tmp)
    log(
        f"rtlgen: {len(design.layers)} nodes in {b.rtl.path(b)}, top-level streams "
        f"{design.in_port_width} -> {design.out_port_width} bits"
    )
    return {
        "rtl": {
            "top": design.top,
            "in_width": design.in_port_width,
            "out_width": design.out_port_width,
        }
    }


FIFO_SIZING_FRAMES = 8  # real frames; sizing repeats them as long as it needs
RTLSIM_AUTO_MAX_LANES = 8192
RTLSIM_AUTO_MAX_CYCLES = 20_000_000


def rtlsim_wanted(b: Build, max_cycles: int) -> tuple[bool, str]:
    """Whether the rtlsim step runs: always, never, or (``auto``) for designs whose datapath
    (sum of PE x SIMD) and simulated cycles stay small enough to build and run in seconds."""
    cfg = b.cfg
    if cfg.rtlsim in (True, False):
        return cfg.rtlsim, "set in the config"
    lanes = sum(getCustomOp(n).datapath_lanes() for n in hw_nodes(b.folded))
    cycles = max_cycles * cfg.rtlsim_frames
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


def step_rtlsim(b: Build) -> dict:
    """Simulate ``rtl/`` with Verilator on real inputs; compare the outputs with the Python
    execution of the same stitched dataflow graph, and cycles per frame with the estimate."""
    cfg, est_cycles = b.cfg, b.estimate["max_cycles"]
    wanted, why = rtlsim_wanted(b, est_cycles)
    if not wanted:
        log(f"rtlsim {why}")
        skipped = {"skipped": why}
        b.rtlsim = skipped
        return {"rtlsim": skipped}
    df = b.folded
    x_int, source = dataflow_inputs(b, cfg.rtlsim_frames)
    expected = execute(df, x_int)[df.graph.output[0].name].reshape(len(x_int), -1)
    log(f"rtlsim: simulating {len(x_int)} frames ({source}) with Verilator")
    result = run_design(StitchedDesign.load(b.rtl.path(b)), x_int, b.out / "verilator")
    summary = result.summary(cfg.clock_mhz)
    summary["bit_exact"] = bool(np.array_equal(result.outputs, expected.astype(np.int64)))
    summary["cycles_vs_estimate"] = round(result.cycles_per_frame / est_cycles, 4)
    b.rtlsim = summary
    log(
        f"rtlsim: bit-exact {summary['bit_exact']}, {result.cycles_per_frame:g} cycles/frame "
        f"(estimate {est_cycles}), latency {result.latency_cycles} cycles, "
        f"{summary['fps']:.0f} FPS at {cfg.clock_mhz:g} MHz"
    )
    return {"rtlsim": summary}


def step_synth(b: Build) -> dict:
    """Synthesize ``rtl/`` with Yosys for the board's family (when the config asks): measured
    LUT, FF, BRAM and DSP counts against the estimate and the board."""
    cfg = b.cfg
    if not cfg.synth:
        skipped = {"skipped": "synth: false in the config"}
        b.synth = skipped
        return {"synth": skipped}
    board = get_board(cfg.board)
    family = family_for(board)
    log(f"synth: Yosys synth_xilinx -family {family} on {b.rtl.path(b)}")
    res = synthesize(b.rtl.path(b), family, nodsp=False)  # DSPs only where resType asks
    est = b.estimate
    report = {
        **res.to_dict(),
        "estimate_error": {
            r: round((est[r] - getattr(res, r)) / max(getattr(res, r), 1), 4)
            for r in ("lut", "ff", "bram18")
        },
        "utilization": {
            r: round(getattr(res, r) / getattr(board, r), 4) for r in ("lut", "ff", "bram18", "dsp")
        },
    }
    b.synth = report
    log(
        f"synth: {res.lut} LUT, {res.ff} FF, {res.bram18} BRAM18, {res.dsp} DSP measured "
        f"(estimate {est['lut']} LUT, {est['ff']} FF, {est['bram18']} BRAM18) in "
        f"{res.seconds:.0f} s with {res.yosys}"
    )
    return {"synth": report}


F = BuildFolder
TRAINING = (
    "network",
    "hidden",
    "layers",
    "width",
    "precision",
    "input_bits",
    "dataset",
    "data_dir",
    "download",
    "train",
    "checkpoint",
)
STEPS = (
    Step("train", step_train, (), (F.checkpoint,), TRAINING),
    Step("export", step_export, (F.checkpoint,), (F.qonnx,), ("model",)),
    Step("transform", step_transform, (F.qonnx,), (F.cleaned, F.streamlined, F.hw)),
    Step(
        "partition",
        step_partition,
        (F.hw,),
        (F.preprocess, F.dataflow, F.postprocess),
    ),
    Step(
        "fold",
        step_fold,
        (F.dataflow, F.preprocess),
        (F.folded, F.folding_config),
        ("folding", "target_fps", "clock_mhz", "board", "fifo_sizing", "rtlsim"),
    ),
    Step("estimate", step_estimate, (F.folded,), (F.estimate,), ("board", "clock_mhz")),
    Step(
        "verify",
        step_verify,
        (F.checkpoint, F.cleaned, F.streamlined, F.hw, F.preprocess, F.folded, F.postprocess),
        (),
        ("verify_inputs", "verify_samples", "dataset"),
    ),
    Step("rtlgen", step_rtlgen, (F.folded,), (F.rtl,)),
    Step(
        "rtlsim",
        step_rtlsim,
        (F.rtl, F.folded, F.preprocess, F.estimate),
        (F.rtlsim,),
        ("rtlsim", "rtlsim_frames", "verify_inputs"),
    ),
    Step("synth", step_synth, (F.rtl, F.estimate), (F.synth,), ("synth", "board")),
)
