"""Build configs: one experiment (network, precision, dataset, board, clock, folding) per YAML."""

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from finnflow.boards import get_board
from finnflow.errors import ConfigError
from finnflow.networks.family import check_network
from finnflow.networks.precision import check_input_bits, parse_precision
from finnflow.training.datasets import DATASETS, IMAGE_SHAPES, dataset_key
from finnflow.training.train import DEVICES


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 0.005
    seed: int = 0
    threads: int = 1
    augment: bool | str = "auto"
    device: str = "auto"
    logit_scale: bool = True


@dataclass
class BuildConfig:
    name: str = "build"
    network: str = "TFC"
    hidden: list[int] | None = None
    layers: list[dict] | None = None
    width: float = 1.0
    precision: str = "w2a2"
    input_bits: int = 8
    dataset: str | None = "digits"
    data_dir: str | None = None
    download: bool = False
    board: str | dict = "Pynq-Z1"
    clock_mhz: float | None = None
    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: str | None = None
    model: str | None = None
    verify_inputs: str | None = None
    folding: str | dict | None = None
    target_fps: float | None = None
    verify_samples: int = 200
    rtlsim: str | bool = "auto"
    fifo_sizing: str | bool = "auto"
    rtlsim_frames: int = 100
    synth: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    def folding_mode(self) -> str:
        """``maximize`` (the fastest folding within the board's budget), ``target_fps`` (the
        least parallelism reaching ``target_fps``) or ``file`` (the user's FINN folding JSON).
        Without ``folding``, a given ``target_fps`` asks for its mode, else ``maximize``."""
        if isinstance(self.folding, str) and self.folding in FOLDING_MODES:
            return self.folding
        if self.folding is not None:
            return "file"
        return "maximize" if self.target_fps is None else "target_fps"

    def augmentation(self) -> bool:
        """Whether training augments images (random crop and flip): ``train.augment``, where
        ``auto`` means on for CIFAR-10 and off for the digit datasets."""
        if self.train.augment == "auto":
            return self.dataset is not None and dataset_key(self.dataset) == "cifar10"
        return bool(self.train.augment)


FOLDING_MODES = ("maximize", "target_fps")
DEMO = BuildConfig(name="demo-tfc-w2a2", network="TFC", precision="w2a2", dataset="digits")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


NUMBERS = {
    "width": float,
    "input_bits": int,
    "verify_samples": int,
    "rtlsim_frames": int,
}
TRAIN_NUMBERS = {"epochs": int, "batch_size": int, "lr": float, "seed": int, "threads": int}
OPTIONAL_NUMBERS = ("clock_mhz", "target_fps")
STRINGS = ("name", "network", "precision")
OPTIONAL_STRINGS = ("dataset", "data_dir", "checkpoint", "model", "verify_inputs")
FILES = {
    "checkpoint": "checkpoint",
    "model": "model file",
    "verify_inputs": "inputs file",
    "folding": "folding file",
}


def _number(value, kind, name: str):
    what = "a whole number" if kind is int else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"{name}={value!r} must be {what}")
    try:
        number = kind(value)
        if kind is int and float(value) != number:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{name}={value!r} must be {what}") from None
    return number


def _coerce(cfg: BuildConfig) -> None:
    """Convert numeric fields (YAML may give strings) and check the types of the others."""
    for name, kind in NUMBERS.items():
        setattr(cfg, name, _number(getattr(cfg, name), kind, name))
    for name in OPTIONAL_NUMBERS:
        if getattr(cfg, name) is not None:
            setattr(cfg, name, _number(getattr(cfg, name), float, name))
    for name, kind in TRAIN_NUMBERS.items():
        setattr(cfg.train, name, _number(getattr(cfg.train, name), kind, f"train.{name}"))
    for name in STRINGS:
        _check(isinstance(getattr(cfg, name), str), f"{name} must be a string")
    for name in OPTIONAL_STRINGS:
        value = getattr(cfg, name)
        _check(value is None or isinstance(value, str), f"{name} must be a string (a path)")
    hidden = cfg.hidden
    _check(
        hidden is None
        or (
            isinstance(hidden, list)
            and all(isinstance(h, int) and not isinstance(h, bool) and h > 0 for h in hidden)
        ),
        f"hidden={hidden!r} must be a list of positive layer sizes, for example [256, 256]",
    )
    _check(
        cfg.train.augment in (True, False, "auto"),
        f"train.augment={cfg.train.augment!r}: use true (random crop and flip), false or auto "
        "(on for cifar10)",
    )
    _check(
        isinstance(cfg.train.logit_scale, bool),
        f"train.logit_scale={cfg.train.logit_scale!r}: use true (the loss sees the outputs "
        "times a learned factor) or false",
    )
    _check(
        cfg.train.device in DEVICES,
        f"train.device={cfg.train.device!r}: use auto (the GPU when torch sees one), cpu or cuda",
    )
    _check(
        isinstance(cfg.board, (str, dict)),
        "board must be a board's name or a mapping describing one (name, part, lut, ff, ...)",
    )
    _check(
        cfg.folding is None or isinstance(cfg.folding, (str, dict)),
        "folding must be maximize, target_fps, a path to a FINN folding JSON or a mapping of "
        "layer: {PE, SIMD}",
    )


def validate(cfg: BuildConfig) -> BuildConfig:
    """Check every field, raising a ConfigError that names the field and the valid values."""
    _coerce(cfg)
    precision = parse_precision(cfg.precision)
    check_input_bits(cfg.input_bits)
    board = get_board(cfg.board)
    if cfg.clock_mhz is None:
        cfg.clock_mhz = board.clock_mhz
    _check(
        cfg.folding_mode() != "target_fps" or cfg.target_fps is not None,
        "folding: target_fps needs `target_fps` (frames per second to reach)",
    )
    if cfg.dataset is not None:
        key = dataset_key(cfg.dataset)
        _check(key in DATASETS, f"dataset={cfg.dataset!r}: choose one of {', '.join(DATASETS)}")
    for name in ("width", "clock_mhz", "target_fps"):
        value = getattr(cfg, name)
        _check(value is None or value > 0, f"{name}={value} must be positive")
    if cfg.model is None:
        _check(cfg.dataset is not None, "a build that trains needs `dataset`")
        shape = IMAGE_SHAPES[dataset_key(cfg.dataset)]
        check_network(
            cfg.network, cfg.hidden, cfg.layers, shape, precision, cfg.input_bits, cfg.width
        )
    _check(cfg.verify_samples >= 1, "verify_samples must be at least 1")
    _check(
        cfg.rtlsim in (True, False, "auto"),
        f"rtlsim={cfg.rtlsim!r}: use true, false or auto (simulate designs that build quickly)",
    )
    _check(
        cfg.fifo_sizing in (True, False, "auto"),
        f"fifo_sizing={cfg.fifo_sizing!r}: use true, false or auto (size the FIFOs from rtlsim "
        "when rtlsim runs)",
    )
    _check(
        cfg.synth in (True, False),
        f"synth={cfg.synth!r}: use true (synthesize the design with Yosys) or false",
    )
    _check(
        cfg.rtlsim_frames >= 2,
        "rtlsim_frames must be at least 2 (the initiation interval needs two frames)",
    )
    _check(cfg.train.epochs >= 1, "train.epochs must be at least 1")
    _check(cfg.train.batch_size >= 2, "train.batch_size must be at least 2")
    _check(cfg.train.lr > 0, "train.lr must be positive")
    _check(cfg.train.threads >= 0, "train.threads must be 0 (torch's default) or more")
    for name, what in FILES.items():
        value = getattr(cfg, name)
        if name == "folding" and value in FOLDING_MODES:
            continue
        if isinstance(value, str) and not Path(value).is_file():
            where = "is a folder" if Path(value).is_dir() else "does not exist"
            raise ConfigError(f"{name}: the {what} {value} {where}")
    return cfg


def from_dict(data: dict, name: str = "build") -> BuildConfig:
    if not isinstance(data, dict):
        raise ConfigError("a build config must be a YAML mapping of field: value")
    known = {f.name for f in fields(BuildConfig)}
    unknown = sorted(set(data) - known)
    _check(not unknown, f"unknown config field(s) {unknown}: valid fields are {sorted(known)}")
    data = dict(data)
    train = data.pop("train", None) or {}
    train_known = {f.name for f in fields(TrainConfig)}
    _check(
        isinstance(train, dict) and not set(train) - train_known,
        f"train: valid fields are {sorted(train_known)}",
    )
    data.setdefault("name", name)
    if data.get("model"):
        data.setdefault("dataset", None)
    return validate(BuildConfig(**data, train=TrainConfig(**train)))


def load_config(path: str | Path) -> BuildConfig:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path} is a folder: give a YAML build config file (see build_configs/)")
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        text = path.read_text()
        data = yaml.safe_load(text)
    except OSError as e:
        raise ConfigError(f"cannot read the config file {path}: {e.strerror}") from None
    except UnicodeDecodeError:
        hint = " (to build a QONNX model, use --model FILE.onnx)" if path.suffix == ".onnx" else ""
        raise ConfigError(f"{path} is not a YAML build config: it is not text{hint}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(e, "problem", None) or "syntax error"
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}") from None
    if data is None:
        raise ConfigError(f"the config file {path} is empty: give at least `network` and `dataset`")
    cfg = from_dict(data, name=path.stem)
    base = path.parent
    for attr in ("checkpoint", "model", "verify_inputs", "data_dir"):
        value = getattr(cfg, attr)
        if value and not Path(value).is_absolute() and (base / value).exists():
            setattr(cfg, attr, str(base / value))
    if (
        cfg.folding_mode() == "file"
        and isinstance(cfg.folding, str)
        and (base / cfg.folding).is_file()
    ):
        cfg.folding = str(base / cfg.folding)
    return cfg
