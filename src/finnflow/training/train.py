"""Quantization-aware training: Adam with a cosine schedule, deterministic under a seed.

Image datasets can be augmented with a random crop (zero padding of 4) and a horizontal flip per
image. With ``state_path`` the model, optimizer, schedule, history and random states are saved
there after every epoch (as tensors and plain containers, loaded without unpickling objects), and
a later call with the same settings resumes after the last saved epoch: an interrupted run
continues and ends with the weights an uninterrupted one reaches."""

import copy
import json
import pickle
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from finnflow.errors import ConfigError
from finnflow.files import atomic_path, write_atomic
from finnflow.training.datasets import Dataset

CROP_PADDING = 4
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class TrainResult:
    test_accuracy: float
    epochs: int
    seconds: float
    history: list[dict] = field(default_factory=list)


class LogitScale(nn.Module):
    """A learned positive factor on the network's outputs, seen by the loss only.

    A class layer with binary weights and no trailing norm saturates the cross-entropy: on 512
    CIFAR-10 images, full-width CNV w1a1 ends its first epoch at a loss of 7.9 without the
    factor and 3.5 with it (chance is 2.3); bnn_pynq ends its networks in a TensorNorm for this
    reason. A positive factor keeps the argmax, so the exported network does without it. It
    starts at 1, or lower where the scores of the first batch spread wider than 1 (standard
    deviation), so that they start with a spread of 1.
    """

    def __init__(self) -> None:
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(()))

    @torch.no_grad()
    def calibrate(self, out: torch.Tensor) -> None:
        self.log_scale.fill_(-float(torch.log(out.float().std().clamp_min(1.0))))

    def forward(self, out: torch.Tensor) -> torch.Tensor:
        return out * self.log_scale.exp()


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def choose_device(device: str = "auto") -> torch.device:
    """``auto``: the GPU when torch sees one, else the CPU; ``cpu``; ``cuda``."""
    if device not in DEVICES:
        raise ConfigError(f"train.device={device!r}: choose one of {', '.join(DEVICES)}")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device=cuda, but torch sees no CUDA GPU: use auto or cpu")
    return torch.device(device)


def _device_of(model: nn.Module) -> torch.device:
    param = next(model.parameters(), None)
    return param.device if param is not None else torch.device("cpu")


def random_crop_flip(
    images: torch.Tensor, rng: np.random.Generator, padding: int = CROP_PADDING
) -> torch.Tensor:
    """Each image [C, H, W] of the batch cropped at a random offset from its zero-padded copy
    and mirrored left-right with probability 1/2 (torchvision's RandomCrop(padding) and
    RandomHorizontalFlip, drawn from ``rng``)."""
    n, c, h, w = images.shape
    dev = images.device
    padded = nn.functional.pad(images, (padding,) * 4)
    dy = torch.from_numpy(rng.integers(0, 2 * padding + 1, n)).to(dev)
    dx = torch.from_numpy(rng.integers(0, 2 * padding + 1, n)).to(dev)
    flip = torch.from_numpy(rng.random(n) < 0.5).to(dev)
    rows = dy[:, None] + torch.arange(h, device=dev)
    cols = dx[:, None] + torch.arange(w, device=dev)
    cols = torch.where(flip[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=dev)[:, None, None, None]
    chan = torch.arange(c, device=dev)[None, :, None, None]
    return padded[batch, chan, rows[:, None, :, None], cols[:, None, None, :]]


@torch.no_grad()
def predict(
    model: nn.Module, x: np.ndarray, batch_size: int = 1024, exact: bool = False
) -> np.ndarray:
    """Logits of the model in eval mode (the quantized model for Brevitas networks), computed
    on the model's device.

    ``exact`` evaluates a float64 copy, for bit-exactness checks: in float32 a value within a
    few ulps of a rounding tie can quantize either way, depending even on the batch."""
    model.eval()
    dtype = torch.float64 if exact else torch.float32
    if exact:
        model = copy.deepcopy(model).to(dtype)
    dev = _device_of(model)
    outs = [
        model(torch.from_numpy(x[i : i + batch_size]).to(dev, dtype)).cpu().numpy()
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(outs)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x).argmax(axis=1) == y).mean())


def _save_state(path: Path, meta: dict, epoch: int, history: list, parts: dict, rng) -> None:
    state = {
        "meta": meta,
        "epoch": epoch,
        "history": history,
        **{name: part.state_dict() for name, part in parts.items()},
        "numpy_rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _read_state(path: Path | None, meta: dict) -> dict | None:
    """The epoch state at ``path`` if it was saved with the same ``meta``, else None."""
    if path is None or not Path(path).is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError, OSError) as e:
        raise ConfigError(
            f"the epoch checkpoint {path} cannot be read ({type(e).__name__}): delete it to "
            "train from the start"
        ) from None
    return state if isinstance(state, dict) and state.get("meta") == meta else None


def _restore(path: Path, state: dict, parts: dict) -> None:
    """Load the saved states into ``parts``. The model goes first and alone: Brevitas replaces
    some parameters when loading, so the optimizer must be made after it."""
    try:
        for name, part in parts.items():
            part.load_state_dict(state[name])
    except (KeyError, RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"the epoch checkpoint {path} does not fit this training ({first}): delete it to "
            "train from the start"
        ) from None


def _restore_rng(state: dict, rng: np.random.Generator) -> None:
    rng.bit_generator.state = state["numpy_rng"]
    torch.set_rng_state(state["torch_rng"])
    if "cuda_rng" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])


def train(
    model: nn.Module,
    data: Dataset,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 0.005,
    seed: int = 0,
    progress: bool = True,
    threads: int = 1,
    augment: bool = False,
    device: str = "auto",
    logit_scale: bool = True,
    state_path: Path | None = None,
    state_meta: dict | None = None,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``data`` and return the test accuracy of the (quantized) model.

    ``threads`` CPU threads for torch (0: torch's default); small networks train fastest on one.
    ``augment``: random crop and flip (image datasets). ``logit_scale``: the loss sees the
    outputs times a learned positive factor (:class:`LogitScale`). ``device``: ``auto`` uses
    the GPU when there is one; the model is back on the CPU afterwards. ``state_path``: the
    epoch checkpoint to write and resume from; ``state_meta`` describes the run (network,
    dataset) and must match for a resume, as must the arguments here. ``log`` receives one line
    per epoch (loss, accuracies, seconds); by default they are printed when ``progress`` is on,
    below a bar of the epoch's batches."""
    seed_everything(seed)
    if threads > 0:
        torch.set_num_threads(threads)
    if augment and data.image_shape is None:
        raise ConfigError(
            f"train.augment needs images, but dataset {data.name!r} has flat rows: set "
            "augment: false"
        )
    log = log or (tqdm.write if progress else (lambda line: None))
    dev = choose_device(device)
    rng = np.random.default_rng(seed)
    run = dict(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, augment=augment)
    if logit_scale:
        run["logit_scale"] = True
    meta = {**(state_meta or {}), **run, "train_samples": len(data.x_train)}
    saved = _read_state(state_path, meta)
    if saved is not None:
        _restore(state_path, saved, {"model": model})
    model.to(dev)
    scale = LogitScale().to(dev) if logit_scale else nn.Identity()
    opt = torch.optim.Adam([*model.parameters(), *scale.parameters()], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    extra = {"logit_scale": scale} if logit_scale else {}  # states without it still resume
    parts = {"model": model, **extra, "optimizer": opt, "scheduler": sched}
    done, history = 0, []
    if saved is not None:
        _restore(state_path, saved, {**extra, "optimizer": opt, "scheduler": sched})
        _restore_rng(saved, rng)
        done, history = int(saved["epoch"]), list(saved["history"])
        log(f"resuming after epoch {done}/{epochs} from {state_path}")
    loss_fn = nn.CrossEntropyLoss()
    x_train = torch.from_numpy(data.x_train).to(dev)
    y_train = torch.from_numpy(data.y_train).to(dev)
    if logit_scale and saved is None:  # on a copy in training mode: its statistics are not kept
        with torch.no_grad():
            scale.calibrate(copy.deepcopy(model).train()(x_train[:batch_size]))
    for epoch in range(done, epochs):
        start = time.time()
        model.train()
        order = torch.from_numpy(rng.permutation(len(x_train))).to(dev)
        total, correct, seen = 0.0, 0, 0
        batches = tqdm(
            range(0, len(order), batch_size),
            desc=f"epoch {epoch + 1}/{epochs}",
            unit="batch",
            leave=False,
            disable=None if progress else True,  # None: no bar when not on a terminal
        )
        for i in batches:
            idx = order[i : i + batch_size]
            if len(idx) < 2:
                continue
            xb, yb = x_train[idx], y_train[idx]
            if augment:
                xb = random_crop_flip(xb.reshape(len(idx), *data.image_shape), rng)
                xb = xb.reshape(len(idx), -1)
            opt.zero_grad()
            out = model(xb)
            loss = loss_fn(scale(out), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            correct += int((out.argmax(dim=1) == yb).sum())
            seen += len(idx)
        sched.step()
        acc = accuracy(model, data.x_test, data.y_test)
        entry = {
            "epoch": epoch + 1,
            "loss": total / len(order),
            "train_accuracy": correct / max(seen, 1),
            "test_accuracy": acc,
            "seconds": round(time.time() - start, 2),
        }
        history.append(entry)
        if state_path is not None:
            _save_state(Path(state_path), meta, epoch + 1, history, parts, rng)
        log(
            f"epoch {epoch + 1}/{epochs}: loss {entry['loss']:.4f}, train accuracy "
            f"{entry['train_accuracy']:.4f}, test accuracy {acc:.4f}, {entry['seconds']:.1f} s"
        )
    model.cpu().eval()
    seconds = sum(h["seconds"] for h in history)
    return TrainResult(history[-1]["test_accuracy"], epochs, seconds, history)


def save_checkpoint(
    model: nn.Module, path: Path, meta: dict, result: TrainResult | None = None
) -> None:
    """Write the state dict (atomically) and, after training, ``metrics.json`` beside it with
    the accuracy and the training log."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save({"state_dict": model.state_dict(), "meta": meta}, tmp)
    if result is not None:
        write_atomic(path.parent / "metrics.json", json.dumps({**meta, **asdict(result)}, indent=2))


def load_checkpoint(model: nn.Module, path: Path) -> dict:
    """Load a checkpoint as data only: tensors and plain containers, never pickled objects (a
    file that holds any is refused before anything in it runs); a ``.npz`` is a compact
    checkpoint (:mod:`finnflow.training.compact`)."""
    if Path(path).suffix == ".npz":
        from finnflow.training.compact import load_compact

        return load_compact(model, path)
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" not in str(e).lower():  # no pickle at all: not a checkpoint
            raise ConfigError(f"checkpoint {path} is not a PyTorch checkpoint ({e})") from None
        raise ConfigError(
            f"checkpoint {path} holds Python objects besides tensors, which could run code when "
            "loaded; finnflow loads tensors only: save the checkpoint with finnflow (a "
            "state_dict of tensors)"
        ) from None
    except (RuntimeError, ValueError, EOFError, OSError, struct.error) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(f"checkpoint {path} is not a PyTorch checkpoint ({first})") from None
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("state_dict"), dict):
        raise ConfigError(f"checkpoint {path} is not a finnflow checkpoint: it has no state_dict")
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as e:
        first = str(e).strip().splitlines()[0]
        raise ConfigError(
            f"checkpoint {path} does not fit the configured network ({first}); it must come "
            "from a build of the same network, precision, width and dataset"
        ) from None
    model.eval()
    return ckpt.get("meta", {})
