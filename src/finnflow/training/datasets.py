"""Datasets as float32 arrays in [0, 1] with integer labels.

``digits`` (scikit-learn's 8x8 handwritten digits) is embedded and needs no download. ``mnist``
and ``fashion-mnist`` are read from IDX files (gzipped or not), looked for in the folder the user
names, then in the usual places; ``download: true`` fetches them with torchvision when online.
"""

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finnflow.errors import ConfigError, DatasetNotFoundError

DATASETS = ("digits", "mnist", "fashion-mnist")
DEFAULT_DIRS = {
    "mnist": ["data/mnist", "data/MNIST/raw", "../shared/datasets/mnist"],
    "fashion-mnist": [
        "data/fashion-mnist",
        "data/FashionMNIST/raw",
        "/usr/share/datasets/fashion-mnist",
    ],
}
HOW_TO_GET = {
    "mnist": "download it with `download: true` in the config (needs torchvision and internet), "
    "or put the four IDX files (train-images-idx3-ubyte[.gz], ...) in a folder and set `data_dir`",
    "fashion-mnist": "install it with `apt-get install dataset-fashion-mnist`, or set `download: "
    "true` (needs torchvision and internet), or set `data_dir` to a folder with the IDX files",
}


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def in_features(self) -> int:
        return int(np.prod(self.x_train.shape[1:]))

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise DatasetNotFoundError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def _find(folder: Path, stems: list[str]) -> Path | None:
    for stem in stems:
        for suffix in ("", ".gz"):
            path = folder / (stem + suffix)
            if path.is_file():
                return path
    return None


def _idx_split(folder: Path, split: str) -> tuple[Path, Path] | None:
    prefixes = ["train", "train-10k"] if split == "train" else ["t10k"]
    images = _find(folder, [f"{p}-images-idx3-ubyte" for p in prefixes])
    labels = _find(folder, [f"{p}-labels-idx1-ubyte" for p in prefixes])
    return (images, labels) if images and labels else None


def _download(name: str, root: Path) -> Path:
    try:
        from torchvision import datasets as tvd
    except ImportError as e:
        raise DatasetNotFoundError(
            f"`download: true` needs torchvision, which is not importable ({e}); "
            f"otherwise {HOW_TO_GET[name]}"
        ) from e
    cls = tvd.MNIST if name == "mnist" else tvd.FashionMNIST
    for train in (True, False):
        cls(str(root), train=train, download=True)
    return root / cls.__name__ / "raw"


def load_idx_dataset(
    name: str, data_dir: str | os.PathLike | None = None, download: bool = False
) -> Dataset:
    candidates = [Path(data_dir)] if data_dir else [Path(d) for d in DEFAULT_DIRS[name]]
    if download and not data_dir:
        candidates.insert(0, _download(name, Path("data")))
    for folder in candidates:
        train, test = _idx_split(folder, "train"), _idx_split(folder, "test")
        if train and test:
            x_tr, y_tr = read_idx(train[0]), read_idx(train[1])
            x_te, y_te = read_idx(test[0]), read_idx(test[1])
            return Dataset(
                name,
                (x_tr.reshape(len(x_tr), -1) / 255.0).astype(np.float32),
                y_tr.astype(np.int64),
                (x_te.reshape(len(x_te), -1) / 255.0).astype(np.float32),
                y_te.astype(np.int64),
            )
    looked = ", ".join(str(c) for c in candidates)
    raise DatasetNotFoundError(
        f"dataset {name!r} not found: looked for train and t10k IDX files in {looked}; "
        f"{HOW_TO_GET[name]}"
    )


def load_digits_dataset(test_fraction: float = 0.25, seed: int = 0) -> Dataset:
    """scikit-learn's 1,797 8x8 digits, split into train/test with a fixed stratified shuffle."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=test_fraction, random_state=seed, stratify=y
    )
    return Dataset("digits", x_tr, y_tr, x_te, y_te)


def load_dataset(
    name: str, data_dir: str | os.PathLike | None = None, download: bool = False
) -> Dataset:
    """Load a dataset by name: ``digits``, ``mnist`` or ``fashion-mnist``."""
    key = str(name).lower().replace("_", "-")
    if key == "digits":
        return load_digits_dataset()
    if key in ("mnist", "fashion-mnist"):
        return load_idx_dataset(key, data_dir, download)
    raise ConfigError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
