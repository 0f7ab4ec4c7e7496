"""The finished build a bitstream or a deployment package is made from: its folder, config,
board, clock and generated RTL, each checked before anything is written, so that a folder that
is no build, or a build stopped before the RTL, is one error naming the fix."""

from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from finnflow.boards import Board, get_board
from finnflow.build import Build
from finnflow.build.folder import STATE_FILE
from finnflow.config import BuildConfig, TrainConfig
from finnflow.errors import ConfigError
from finnflow.rtl import StitchedDesign
from finnflow.rtl.generate import DESIGN_FILE
from finnflow.synth.yosys import load_design

CONFIG_FILE = "config.yaml"


@dataclass
class FinishedBuild:
    build: Build
    board: Board
    clock_mhz: float
    design: StitchedDesign

    @property
    def out(self) -> Path:
        return self.build.out

    @property
    def rtl_dir(self) -> Path:
        return self.design.directory


def open_build(path: Path | str) -> FinishedBuild:
    """The build in ``path``, which must hold its config and the RTL of the rtlgen step."""
    path = Path(path)
    how = f"`finnflow build CONFIG.yaml --out {path}`"
    if not path.is_dir():
        what = "is a file" if path.exists() else "does not exist"
        raise ConfigError(
            f"{path} {what}: give the folder of a build made with "
            "`finnflow build CONFIG.yaml --out DIR`"
        )
    if not (path / CONFIG_FILE).is_file() or not (path / STATE_FILE).is_file():
        raise ConfigError(
            f"{path} is not a finnflow build folder (no {CONFIG_FILE} or {STATE_FILE}): build "
            f"into it first with {how}"
        )
    cfg = _read_config(path / CONFIG_FILE)
    rtl_dir = path / "rtl"
    if not (rtl_dir / DESIGN_FILE).is_file():
        raise ConfigError(
            f"{path} has no generated RTL (rtl/{DESIGN_FILE}): the build stopped before its "
            f"rtlgen step; finish it with {how} (without --stop-step)"
        )
    design = load_design(rtl_dir)
    board = get_board(cfg.board)
    return FinishedBuild(Build(cfg, path), board, float(cfg.clock_mhz or board.clock_mhz), design)


def _read_config(path: Path) -> BuildConfig:
    """The config the build recorded, as written (its files need not exist any more)."""
    try:
        data = yaml.safe_load(path.read_text())
        train = TrainConfig(**(data.pop("train", None) or {}))
        known = {f.name for f in fields(BuildConfig)}
        return BuildConfig(**{k: v for k, v in data.items() if k in known}, train=train)
    except (OSError, yaml.YAMLError, AttributeError, TypeError) as e:
        raise ConfigError(
            f"{path} is unreadable ({type(e).__name__}): run the build again to rewrite it"
        ) from None
