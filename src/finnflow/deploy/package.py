"""``finnflow deploy``: the deployment package of a finished build, a folder to copy to the board
as it is. It holds the driver (``driver.py``, numpy and pynq only), ``accelerator.json`` (the
streams as the DMA moves them, the pre- and post-processing as operations, the clock),
``arrays.npz`` (the processing's constants), ``sample.npz`` (test inputs, their labels and the
labels the build's Python execution gives them), ``rtl/`` with the DMA shell (for the virtual
board) and, once ``finnflow bitstream`` has run, ``finnflow.bit`` and ``finnflow.hwh``. Every
data file is JSON or a numpy archive read without pickle.

Before writing, the package's numpy processing is checked against the ONNX graphs on the sample:
the same integers into the accelerator and the same labels out, or no package."""

import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import finnflow
from finnflow.build.steps import verification_inputs
from finnflow.deploy import driver
from finnflow.deploy.processing import export_processing
from finnflow.deploy.shell import DMA_MAX_BYTES, SHELL_FILE, shell_params
from finnflow.deploy.source import FinishedBuild, open_build
from finnflow.errors import ConfigError, FinnflowError, ToolNotFoundError
from finnflow.execute import execute
from finnflow.files import atomic_path
from finnflow.synth.vivado import BITSTREAM_DIR, DMA_CELL

META_FILE = "accelerator.json"
BITSTREAM_FILES = ("finnflow.bit", "finnflow.hwh")
REMOTE_ROOT = "finnflow"


@dataclass
class Package:
    path: Path
    name: str
    frames: int
    bitstream: bool


def make_package(build_dir: Path | str, out: Path | str | None = None, samples: int = 100):
    """Write the deployment package of the build in ``build_dir`` to ``out`` (default
    ``<build_dir>/deploy``), replacing an earlier package there."""
    src = open_build(build_dir)
    out = Path(out) if out else src.out / "deploy"
    if out.exists() and not (out / META_FILE).is_file() and any(out.iterdir()):
        raise ConfigError(
            f"{out} exists and is no deployment package: choose an empty or new folder with --out"
        )
    if samples < 1:
        raise ConfigError(f"--samples {samples}: give at least 1 sample image")
    with src.build.locked():
        return _write_package(src, out, samples)


def _write_package(src: FinishedBuild, out: Path, samples: int) -> Package:
    b = src.build
    pre_ops, arrays = export_processing(b.preprocess, "pre")
    post_ops, post_arrays = export_processing(b.postprocess, "post")
    arrays.update(post_arrays)
    x, y, source = verification_inputs(b, samples)
    expected, out_shape = _check_processing(src, pre_ops, post_ops, arrays, x)
    meta = _metadata(src, pre_ops, post_ops, x, out_shape, source, y is not None)
    bitstream = [src.out / BITSTREAM_DIR / f for f in BITSTREAM_FILES]
    has_bitstream = all(f.is_file() for f in bitstream)
    meta["bitfile"] = BITSTREAM_FILES[0] if has_bitstream else None
    sample = {"x": x.astype(np.float32), "expected": expected}
    if y is not None:
        sample["y"] = np.asarray(y, dtype=np.int64)
    try:
        with atomic_path(out) as tmp:
            tmp.mkdir(parents=True)
            shutil.copyfile(driver.__file__, tmp / "driver.py")
            (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
            np.savez(tmp / "arrays.npz", **arrays)
            np.savez(tmp / meta["sample"]["file"], **sample)
            shutil.copytree(src.rtl_dir, tmp / "rtl")
            shutil.copyfile(SHELL_FILE, tmp / "rtl" / SHELL_FILE.name)
            if has_bitstream:
                for f in bitstream:
                    shutil.copyfile(f, tmp / f.name)
    except OSError as e:
        raise ConfigError(
            f"cannot write the package to {out}: {e.strerror or e}; choose another folder with "
            "--out"
        ) from None
    return Package(out, meta["name"], len(x), has_bitstream)


def _check_processing(src: FinishedBuild, pre_ops, post_ops, arrays, x):
    """The build's labels of ``x`` (preprocess.onnx -> folded.onnx -> postprocess.onnx) and
    the shape of the accelerator's output, after checking that the driver's numpy processing
    gives the same accelerator inputs and the same labels."""
    b = src.build
    pre, df, post = b.preprocess, b.folded, b.postprocess
    x_int = execute(pre, x)[pre.graph.output[0].name]
    _agree("pre-processing", "preprocess.onnx", driver.run_processing(pre_ops, arrays, x), x_int)
    y = execute(df, x_int)[df.graph.output[0].name]
    if post is None:
        return y.reshape(len(x), -1)[:, 0].astype(np.int64), list(y.shape[1:])
    labels = execute(post, y)["label"].reshape(len(x), -1)[:, 0].astype(np.int64)
    mine = driver.run_processing(post_ops, arrays, y).reshape(len(x), -1)[:, 0]
    _agree("post-processing", "postprocess.onnx", mine, labels)
    return labels, list(y.shape[1:])


def _agree(what: str, graph: str, mine: np.ndarray, reference: np.ndarray) -> None:
    same = np.asarray(mine).shape == reference.shape and np.array_equal(mine, reference)
    if not same:
        raise FinnflowError(
            f"the driver's numpy {what} differs from {graph} on the sample inputs: the package "
            "would not compute what the build verified; please report this with the build folder"
        )


def _metadata(src: FinishedBuild, pre_ops, post_ops, x, out_shape, source, labels) -> dict:
    design, params = src.design, shell_params(src.design)

    def stream(fmt, words, dma_bits):
        return {
            "lanes": fmt.lanes,
            "bits": fmt.bits,
            "signed": fmt.signed,
            "words_per_frame": words,
            "word_bytes": dma_bits // 8,
        }

    summary = src.build.summary
    return {
        "format": driver.FORMAT,
        "name": src.build.cfg.name,
        "made_by": f"finnflow {finnflow.__version__}",
        "board": src.board.name,
        "part": src.board.part,
        "clock_mhz": src.clock_mhz,
        "dma": {"name": DMA_CELL, "max_bytes": DMA_MAX_BYTES},
        "input_shape": list(x.shape[1:]),
        "output_shape": out_shape,
        "input": stream(design.input, design.in_words_per_frame, params["IN_DMA_WIDTH"]),
        "output": stream(design.output, design.out_words_per_frame, params["OUT_DMA_WIDTH"]),
        "preprocess": pre_ops,
        "postprocess": post_ops,
        "sample": {"file": "sample.npz", "frames": len(x), "source": source, "labels": labels},
        "estimate": {k: summary.get("estimate", {}).get(k) for k in ("max_cycles", "fps")},
        "rtlsim": summary.get("rtlsim", {}),
    }


# ----------------------------------------------------------------------------- copy to a board
_HOST = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9._-]*@)?[A-Za-z0-9][A-Za-z0-9.-]*")
_REMOTE = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9._/-]*")


def remote_dir_for(package: Package, remote_dir: str | None) -> str:
    return remote_dir or f"{REMOTE_ROOT}/{package.name}"


def copy_commands(package_dir: Path, host: str, remote_dir: str) -> list[list[str]]:
    """The ssh and scp commands that copy the package's files into ``remote_dir`` on ``host``
    (``USER@HOST``; a relative ``remote_dir`` or one starting ``~/`` is under the user's
    home). Files of an older package there are overwritten; the driver reads only those its
    ``accelerator.json`` names."""
    if not _HOST.fullmatch(host):
        raise ConfigError(f"--host {host!r}: give the board as USER@HOST, e.g. xilinx@pynq")
    target = remote_dir[2:] if remote_dir.startswith("~/") else remote_dir
    if not _REMOTE.fullmatch(target) or not target.strip("/."):
        raise ConfigError(
            f"--remote-dir {remote_dir!r}: give a folder for the package, such as "
            f"{REMOTE_ROOT}/NAME (letters, digits, . _ - /)"
        )
    files = [str(p) for p in sorted(Path(package_dir).iterdir())]
    return [
        ["ssh", host, f"mkdir -p {shlex.quote(target)}"],
        ["scp", "-r", "-q", *files, f"{host}:{target}/"],
    ]


def copy_to_board(package_dir: Path, host: str, remote_dir: str) -> None:
    for cmd in copy_commands(package_dir, host, remote_dir):
        if shutil.which(cmd[0]) is None:
            raise ToolNotFoundError(
                f"{cmd[0]} not found: install an OpenSSH client, or copy {package_dir} yourself"
            )
        proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
            raise FinnflowError(
                f"copying the package to {host} failed ({cmd[0]}: {reason}): check that "
                f"`ssh {host}` works, or copy {package_dir} yourself"
            )
