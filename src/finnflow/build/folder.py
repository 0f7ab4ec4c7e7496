"""The build folder: every intermediate artifact as a file with a stable name, written
atomically, plus ``build_state.json``, the record of completed steps that makes a build
resumable.

Artifacts are typed attributes of :class:`BuildFolder` (``folder.streamlined`` is a
ModelWrapper read from ``streamlined.onnx`` on first use; assigning it writes the file), so a
step names what it reads and writes as attributes, not as string keys into a shared dict."""

import contextlib
import fcntl
import json
import os
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

import finnflow
from finnflow.errors import ConfigError, FinnflowError
from finnflow.export import load_model
from finnflow.files import atomic_path, write_atomic

STATE_FILE = "build_state.json"
LOCK_FILE = ".finnflow.lock"


class Artifact:
    """A file (or folder) of the build folder, declared as a class attribute."""

    def __init__(self, filename: str, optional: bool = False):
        self.filename = filename
        self.optional = optional

    def __set_name__(self, owner, name):
        self.name = name

    def path(self, folder: "BuildFolder") -> Path:
        return folder.out / self.filename

    def exists(self, folder: "BuildFolder") -> bool:
        return self.path(folder).exists()

    def missing(self, folder: "BuildFolder") -> FinnflowError:
        return FinnflowError(
            f"{self.filename} is missing from the build folder {folder.out}: run the build "
            "again without --start-step so the step that writes it runs"
        )


class ModelArtifact(Artifact):
    """An ONNX model; an optional one reads as None when its file is absent, and assigning None
    removes the file."""

    def __get__(self, folder, owner=None):
        if folder is None:
            return self
        if self.name not in folder.models:
            path = self.path(folder)
            if not path.is_file():
                if self.optional:
                    return None
                raise self.missing(folder)
            folder.models[self.name] = load_model(path)
        return folder.models[self.name]

    def __set__(self, folder, model: ModelWrapper | None):
        path = self.path(folder)
        if model is None:
            path.unlink(missing_ok=True)
        else:
            with atomic_path(path) as tmp:
                model.save(str(tmp))
        folder.models[self.name] = model


class JsonArtifact(Artifact):
    """A JSON report; reading parses the file, assigning writes it."""

    def __get__(self, folder, owner=None):
        if folder is None:
            return self
        path = self.path(folder)
        if not path.is_file():
            raise self.missing(folder)
        return json.loads(path.read_text())

    def __set__(self, folder, data):
        write_atomic(self.path(folder), json.dumps(data, indent=2, default=float) + "\n")


class BuildFolder:
    """The files of one build, ``build/<name>/`` by default."""

    checkpoint = Artifact("checkpoint.pt")
    qonnx = ModelArtifact("qonnx.onnx")
    cleaned = ModelArtifact("cleaned.onnx")
    streamlined = ModelArtifact("streamlined.onnx")
    hw = ModelArtifact("hw.onnx")
    preprocess = ModelArtifact("preprocess.onnx")
    dataflow = ModelArtifact("dataflow.onnx")
    postprocess = ModelArtifact("postprocess.onnx", optional=True)
    folded = ModelArtifact("folded.onnx")
    folding_config = JsonArtifact("folding_config.json")
    estimate = JsonArtifact("estimate.json")
    rtl = Artifact("rtl")
    rtlsim = JsonArtifact("rtlsim.json")
    synth = JsonArtifact("synth.json")
    summary = JsonArtifact("summary.json")

    def __init__(self, out: Path | str):
        self.out = Path(out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(
                f"cannot create the build folder {self.out}: {e.strerror}; choose another "
                "with --out"
            ) from e
        self.models: dict[str, ModelWrapper | None] = {}
        self.made_by: str | None = None  # another flow version whose steps are not reused

    @contextlib.contextmanager
    def locked(self):
        """Hold the folder for one build: a second build of the same folder meanwhile fails at
        once instead of overwriting files the first is writing. The lock is the kernel's
        (``flock``), so it ends with the process that held it, however that process ends."""
        path = self.out / LOCK_FILE
        with open(path, "a+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.seek(0)
                holder = f.read().strip() or "another process"
                raise ConfigError(
                    f"the build folder {self.out} is in use by another build ({holder}); wait "
                    "for it to finish or build into another folder with --out"
                ) from None
            f.seek(0)
            f.truncate()
            f.write(f"pid {os.getpid()}")
            f.flush()
            try:
                yield self
            finally:
                f.seek(0)
                f.truncate()
                fcntl.flock(f, fcntl.LOCK_UN)

    def load_state(self) -> dict:
        """Completed steps recorded by an earlier run of this flow version (else none)."""
        path = self.out / STATE_FILE
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        if state.get("flow") != flow_version():
            self.made_by = str(state.get("flow"))
            return {}
        return state.get("steps", {})

    def save_state(self, steps: dict) -> None:
        data = {"flow": flow_version(), "steps": steps}
        write_atomic(self.out / STATE_FILE, json.dumps(data, indent=2, default=float) + "\n")


def flow_version() -> str:
    return f"finnflow {finnflow.__version__}"
