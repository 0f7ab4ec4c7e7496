"""Quantization-aware training: Adam with a cosine schedule, deterministic under a seed."""

import copy
import json
import pickle
import struct
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from finnflow.errors import ConfigError
from finnflow.files import atomic_path, write_atomic
from finnflow.training.datasets import Dataset


@dataclass
class TrainResult:
    test_accuracy: float
    epochs: int
    seconds: float
    history: list[dict] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


@torch.no_grad()
def predict(
    model: nn.Module, x: np.ndarray, batch_size: int = 1024, exact: bool = False
) -> np.ndarray:
    """Logits of the model in eval mode (the quantized model for Brevitas networks).

    ``exact`` evaluates a float64 copy, for bit-exactness checks: in float32 a value within a
    few ulps of a rounding tie can quantize either way, depending even on the batch."""
    model.eval()
    dtype = torch.float64 if exact else torch.float32
    if exact:
        model = copy.deepcopy(model).to(dtype)
    outs = [
        model(torch.from_numpy(x[i : i + batch_size]).to(dtype)).numpy()
        for i in range(0, len(x), batch_size)
    ]
    return np.concatenate(outs)


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(model, x).argmax(axis=1) == y).mean())


def train(
    model: nn.Module,
    data: Dataset,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 0.005,
    seed: int = 0,
    progress: bool = True,
    threads: int = 1,
) -> TrainResult:
    """Train ``model`` on ``data`` and return the test accuracy of the (quantized) model.

    ``threads`` CPU threads for torch (0: torch's default); small networks train fastest on one."""
    seed_everything(seed)
    if threads > 0:
        torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))
    loss_fn = nn.CrossEntropyLoss()
    x_train = torch.from_numpy(data.x_train)
    y_train = torch.from_numpy(data.y_train)
    history = []
    start = time.time()
    bar = tqdm(range(epochs), desc="train", unit="epoch", disable=not progress)
    for epoch in bar:
        model.train()
        order = torch.from_numpy(rng.permutation(len(x_train)))
        total = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            if len(idx) < 2:
                continue
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        acc = accuracy(model, data.x_test, data.y_test)
        history.append({"epoch": epoch + 1, "loss": total / len(order), "test_accuracy": acc})
        bar.set_postfix(loss=f"{total / len(order):.3f}", test_acc=f"{acc:.4f}")
    return TrainResult(history[-1]["test_accuracy"], epochs, time.time() - start, history)


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
    file that holds any is refused before anything in it runs)."""
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
