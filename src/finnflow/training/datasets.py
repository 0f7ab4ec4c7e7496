"""Datasets as float32 arrays in [0, 1] with integer labels, one flat row per image in C, H, W
order, together with the image shape (C, H, W) that convolutional networks reshape rows to.

``digits`` (scikit-learn's 8x8 handwritten digits) is embedded and needs no download. ``mnist``
and ``fashion-mnist`` are read from IDX files (gzipped or not), ``cifar10`` from JPEG archives
(:mod:`finnflow.training.cifar10`); each is looked for in the folder the user names, then in the
usual places; ``download: true`` fetches them with torchvision when online.
"""

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from finnflow.errors import ConfigError, DatasetNotFoundError
from finnflow.training import cifar10

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10")
IMAGE_SHAPES = {
    "digits": (1, 8, 8),
    "mnist": (1, 28, 28),
    "fashion-mnist": (1, 28, 28),
    "cifar10": cifar10.SHAPE,
}
DEFAULT_DIRS = {
    "mnist": ["data/mnist", "data/MNIST/raw", "../shared/datasets/mnist"],
    "fashion-mnist": [
        "data/fashion-mnist",
        "data/FashionMNIST/raw",
        "/usr/share/datasets/fashion-mnist",
    ],
    "cifar10": ["data/cifar10-jpeg", "data/cifar10", "../shared/datasets/cifar10-jpeg"],
}
HOW_TO_GET = {
    "mnist": "download it with `download: true` in the config (needs torchvision and internet), "
    "or put the four IDX files (train-images-idx3-ubyte[.gz], ...) in a folder and set `data_dir`",
    "fashion-mnist": "install it with `apt-get install dataset-fashion-mnist`, or set `download: "
    "true` (needs torchvision and internet), or set `data_dir` to a folder with the IDX files",
    "cifar10": "set `data_dir` to a folder holding cifar10-jpeg-train.tar.gz and "
    "cifar10-jpeg-test.tar.gz (ImageFolder layout: train/<class>/<n>.jpg), or download it with "
    "`download: true` (needs torchvision and internet)",
}


@dataclass
class Dataset:
    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple[int, int, int] | None = None  # (C, H, W) of a row; None: flat features

    @property
    def input_shape(self) -> tuple[int, ...]:
        """One input as networks take it: the image shape, else (features,)."""
        return self.image_shape or (self.in_features,)

    @property
    def in_features(self) -> int:
        return int(np.prod(self.x_train.shape[1:]))

    @property
    def num_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    def subset(self, n_train: int | None, n_test: int | None) -> "Dataset":
        """The first ``n_train`` training and ``n_test`` test samples (None: all)."""
        return Dataset(
            self.name,
            self.x_train[:n_train],
            self.y_train[:n_train],
            self.x_test[:n_test],
            self.y_test[:n_test],
            self.image_shape,
        )


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


def _need_torchvision(name: str) -> None:
    try:
        import torchvision  # noqa: F401
    except ImportError as e:
        raise DatasetNotFoundError(
            f"`download: true` needs torchvision, which is not importable ({e}); "
            f"otherwise {HOW_TO_GET[name]}"
        ) from e


def _download(name: str, root: Path) -> Path:
    _need_torchvision(name)
    from torchvision import datasets as tvd

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
                IMAGE_SHAPES[name],
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
    return Dataset("digits", x_tr, y_tr, x_te, y_te, IMAGE_SHAPES["digits"])


def _as_rows(images: np.ndarray) -> np.ndarray:
    """uint8 images [N, C, H, W] -> float32 rows in [0, 1]."""
    return np.divide(images.reshape(len(images), -1), np.float32(255), dtype=np.float32)


def load_cifar10(
    data_dir: str | os.PathLike | None = None,
    download: bool = False,
    cache_dir: str | os.PathLike | None = None,
) -> Dataset:
    """CIFAR-10 (50,000 + 10,000 32x32 RGB images): the JPEG archives in ``data_dir`` or the
    usual places, decoded once into the cache; or, with ``download``, torchvision's copy."""
    if download and not data_dir:
        _need_torchvision("cifar10")
        x_tr, y_tr, x_te, y_te = cifar10.download(Path("data"))
    else:
        candidates = [Path(data_dir)] if data_dir else [Path(d) for d in DEFAULT_DIRS["cifar10"]]
        archives = next(filter(None, map(cifar10.find_archives, candidates)), None)
        if archives is None:
            looked = ", ".join(str(c) for c in candidates)
            raise DatasetNotFoundError(
                f"dataset 'cifar10' not found: looked for cifar10-jpeg-train.tar.gz and "
                f"cifar10-jpeg-test.tar.gz in {looked}; {HOW_TO_GET['cifar10']}"
            )
        cache = Path(cache_dir) if cache_dir else None
        x_tr, y_tr = cifar10.load_split(archives[0], "train", cache)
        x_te, y_te = cifar10.load_split(archives[1], "test", cache)
    return Dataset(
        "cifar10",
        _as_rows(x_tr),
        y_tr.astype(np.int64),
        _as_rows(x_te),
        y_te.astype(np.int64),
        IMAGE_SHAPES["cifar10"],
    )


def dataset_key(name: str) -> str:
    """The canonical name: any case, ``_`` for ``-``, ``cifar-10`` for ``cifar10``."""
    key = str(name).lower().replace("_", "-")
    return "cifar10" if key == "cifar-10" else key


def load_dataset(
    name: str, data_dir: str | os.PathLike | None = None, download: bool = False
) -> Dataset:
    """Load a dataset by name: ``digits``, ``mnist``, ``fashion-mnist`` or ``cifar10``."""
    key = dataset_key(name)
    if key == "digits":
        return load_digits_dataset()
    if key == "cifar10":
        return load_cifar10(data_dir, download)
    if key in ("mnist", "fashion-mnist"):
        return load_idx_dataset(key, data_dir, download)
    raise ConfigError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}")
