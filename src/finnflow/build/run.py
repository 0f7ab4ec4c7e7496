"""Running, resuming and partly running a build.

A step is recorded in ``build_state.json`` only after all its outputs are written (each
atomically), together with a key: a hash of the flow version, the config fields the step depends
on (the contents of the files they name) and the previous step's key. A build started again
skips the leading steps whose record and outputs are in place and runs the rest; a changed
config changes the key of the first step that depends on it and so re-runs it and every later
step. ``start_step`` / ``stop_step`` run part of a build in an existing folder."""

import hashlib
import json
import time
from dataclasses import replace
from pathlib import Path

import yaml

from finnflow.boards import get_board
from finnflow.build.folder import flow_version
from finnflow.build.steps import STEPS, Build, Step, log
from finnflow.config import BuildConfig, validate
from finnflow.errors import ConfigError
from finnflow.files import write_atomic
from finnflow.networks import parse_precision

FILE_FIELDS = ("checkpoint", "model", "verify_inputs", "folding")
TIMING_KEYS = (
    "train_seconds",
    "folding_seconds",
    "fifo_sizing_seconds",
    "step_seconds",
    "build_seconds",
)


def active_steps(cfg: BuildConfig) -> list[Step]:
    """The steps a config runs: a float32 reference only trains; a user's model is not trained."""
    if cfg.model is None and parse_precision(cfg.precision).is_float:
        return [STEPS[0]]
    return [s for s in STEPS if not (cfg.model is not None and s.name == "train")]


def _fingerprint(cfg: BuildConfig, name: str):
    value = getattr(cfg, name)
    if name in FILE_FIELDS and isinstance(value, str) and Path(value).is_file():
        digest = hashlib.sha256(Path(value).read_bytes())
        data = Path(value + ".data")
        if data.is_file():
            digest.update(data.read_bytes())
        return {"file": value, "sha256": digest.hexdigest()}
    if name == "train":
        return cfg.to_dict()["train"]
    return value


def step_keys(cfg: BuildConfig, steps: list[Step]) -> list[str]:
    keys, prev = [], flow_version()
    for step in steps:
        fields = {f: _fingerprint(cfg, f) for f in step.config}
        text = json.dumps([prev, step.name, fields], sort_keys=True, default=str)
        prev = hashlib.sha256(text.encode()).hexdigest()[:16]
        keys.append(prev)
    return keys


def _complete(b: Build, step: Step, key: str, state: dict) -> bool:
    record = state.get(step.name)
    return (
        record is not None
        and record.get("key") == key
        and all(a.optional or a.exists(b) for a in step.writes)
    )


def _index(names: list[str], name: str | None, what: str) -> int | None:
    if name is None:
        return None
    if name not in names:
        raise ConfigError(f"{what}={name!r}: this build's steps are {', '.join(names)}")
    return names.index(name)


def run_build(
    cfg: BuildConfig,
    out: Path | str | None = None,
    start_step: str | None = None,
    stop_step: str | None = None,
) -> dict:
    """Run (or resume) the build of ``cfg`` in ``out`` (default ``build/<name>``) and return
    (and write) ``summary.json``. The folder is locked for the run: a second build of the same
    folder meanwhile raises :class:`ConfigError`. The config is validated (and its defaults
    resolved, such as the board's clock) on a copy."""
    cfg = validate(replace(cfg, train=replace(cfg.train)))
    b = Build(cfg, Path(out or Path("build") / cfg.name))
    with b.locked():
        return _run(b, cfg, start_step, stop_step)


def _run(b: Build, cfg: BuildConfig, start_step: str | None, stop_step: str | None) -> dict:
    steps = active_steps(cfg)
    names = [s.name for s in steps]
    start = _index(names, start_step, "--start-step")
    stop = _index(names, stop_step, "--stop-step")
    keys = step_keys(cfg, steps)
    state = b.load_state()
    done = 0
    while done < len(steps) and _complete(b, steps[done], keys[done], state):
        done += 1
    if b.made_by is not None:
        if start is not None:
            raise ConfigError(
                f"the build folder {b.out} was made by {b.made_by}, not {flow_version()}: its "
                "steps cannot be reused by another version; run the whole build (without "
                "--start-step) or use another --out"
            )
        log(f"{b.out} was made by {b.made_by}: running every step again")
    if start is not None:
        if start > done:
            raise ConfigError(
                f"cannot start at step {start_step!r}: step {names[done]!r} has not completed "
                f"in {b.out} for this config; start there or run the whole build"
            )
        done = start
    write_atomic(b.out / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))
    last = len(steps) - 1 if stop is None else stop
    for i, step in enumerate(steps[: last + 1]):
        if i < done:
            log(f"step {i + 1}/{len(steps)} {step.name}: complete, skipped")
            continue
        log(f"step {i + 1}/{len(steps)} {step.name}")
        t0 = time.time()
        entries = step.run(b)
        state = {n: state[n] for n in names[:i] if n in state}
        state[step.name] = {"key": keys[i], "seconds": round(time.time() - t0, 2), **entries}
        b.save_state(state)
    summary = _summary(cfg, {n: state[n] for n in names[: last + 1] if n in state})
    b.summary = summary
    log(f"wrote {b.out / 'summary.json'}")
    return summary


def _summary(cfg: BuildConfig, records: dict[str, dict]) -> dict:
    """The header from the config, then each completed step's entries in step order."""
    summary = {
        "name": cfg.name,
        "network": Path(cfg.model).name if cfg.model else cfg.network,
        "precision": cfg.precision if cfg.model is None else "from model",
        "input_bits": cfg.input_bits if cfg.model is None else None,
        "dataset": cfg.dataset,
        "test_accuracy": None,
        "board": get_board(cfg.board).name,
        "clock_mhz": cfg.clock_mhz,
    }
    if cfg.model is None and parse_precision(cfg.precision).is_float:
        summary["hardware"] = "skipped: float32 is the software reference"
    step_seconds = {}
    for name, record in records.items():
        entries = {k: v for k, v in record.items() if k not in ("key", "seconds")}
        summary.update(entries)
        step_seconds[name] = record["seconds"]
    summary["steps_completed"] = list(records)
    summary["step_seconds"] = step_seconds
    summary["build_seconds"] = round(sum(step_seconds.values()), 2)
    return summary
