"""Build configs: one experiment (network, precision, dataset, board, clock, folding) per YAML."""

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import yaml

from finnflow.boards import get_board
from finnflow.errors import ConfigError
from finnflow.networks.fc import TOPOLOGIES
from finnflow.networks.precision import check_input_bits, parse_precision
from finnflow.training.datasets import DATASETS


@dataclass
class TrainConfig:
    epochs: int = 30
    batch_size: int = 64
    lr: float = 0.005
    seed: int = 0
    threads: int = 1


@dataclass
class BuildConfig:
    name: str = "build"
    network: str = "TFC"
    hidden: list[int] | None = None
    width: float = 1.0
    precision: str = "w2a2"
    input_bits: int = 8
    dataset: str | None = "digits"
    data_dir: str | None = None
    download: bool = False
    board: str = "Pynq-Z1"
    clock_mhz: float = 100.0
    train: TrainConfig = field(default_factory=TrainConfig)
    checkpoint: str | None = None
    model: str | None = None
    verify_inputs: str | None = None
    folding: str | dict | None = None
    target_fps: float = 100000.0
    verify_samples: int = 200
    rtlsim: str | bool = "auto"
    rtlsim_frames: int = 100

    def to_dict(self) -> dict:
        return asdict(self)


DEMO = BuildConfig(name="demo-tfc-w2a2", network="TFC", precision="w2a2", dataset="digits")


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


def validate(cfg: BuildConfig) -> BuildConfig:
    """Check every field, raising a ConfigError that names the field and the valid values."""
    parse_precision(cfg.precision)
    check_input_bits(cfg.input_bits)
    get_board(cfg.board)
    if cfg.model is None:
        _check(
            cfg.network.upper() in (*TOPOLOGIES, "FC"),
            f"network={cfg.network!r}: choose one of {', '.join(TOPOLOGIES)}, or FC with "
            "`hidden: [sizes]`",
        )
        _check(cfg.dataset is not None, "a build that trains needs `dataset`")
    if cfg.network.upper() == "FC" and cfg.model is None:
        _check(bool(cfg.hidden), "network=FC needs `hidden: [sizes]`")
    if cfg.dataset is not None:
        key = str(cfg.dataset).lower().replace("_", "-")
        _check(key in DATASETS, f"dataset={cfg.dataset!r}: choose one of {', '.join(DATASETS)}")
    _check(cfg.width > 0, f"width={cfg.width} must be positive")
    _check(cfg.clock_mhz > 0, f"clock_mhz={cfg.clock_mhz} must be positive")
    _check(cfg.target_fps > 0, f"target_fps={cfg.target_fps} must be positive")
    _check(cfg.verify_samples >= 1, "verify_samples must be at least 1")
    _check(
        cfg.rtlsim in (True, False, "auto"),
        f"rtlsim={cfg.rtlsim!r}: use true, false or auto (simulate designs that build quickly)",
    )
    _check(cfg.rtlsim_frames >= 1, "rtlsim_frames must be at least 1")
    _check(cfg.train.epochs >= 1, "train.epochs must be at least 1")
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
    try:
        cfg = BuildConfig(**data, train=TrainConfig(**train))
        cfg.width, cfg.clock_mhz = float(cfg.width), float(cfg.clock_mhz)
        cfg.input_bits = int(cfg.input_bits)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"invalid config value: {e}") from e
    return validate(cfg)


def load_config(path: str | Path) -> BuildConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e
    cfg = from_dict(data, name=path.stem)
    base = path.parent
    for attr in ("checkpoint", "model", "verify_inputs", "data_dir"):
        value = getattr(cfg, attr)
        if value and not Path(value).is_absolute() and (base / value).exists():
            setattr(cfg, attr, str(base / value))
    if isinstance(cfg.folding, str) and (base / cfg.folding).is_file():
        cfg.folding = str(base / cfg.folding)
    return cfg
