"""CIFAR-10 from JPEG archives in ImageFolder layout, decoded once and cached.

An archive ``cifar10-jpeg-{train,test}.tar.gz`` holds ``<split>/<class>/<name>.jpg``; the class
index is the position of the class folder's name in sorted order (as torchvision's ImageFolder
numbers them, which is also CIFAR-10's own order). The images are decoded with Pillow's libjpeg
at its default (integer) DCT, which gives the same pixels on every run, and ordered by a fixed
shuffle of their (class, name) order, whatever the order in the archive: any prefix of a split
(the first test images a build verifies on) then holds every class.

The decoded uint8 arrays are cached as an ``.npz`` named by the archive's SHA-256 and the
decoder's versions, in ``$FINNFLOW_DATA_CACHE``, else ``$XDG_CACHE_HOME/finnflow/datasets``,
else ``~/.cache/finnflow/datasets``; a cache that cannot be written is skipped. The ``.npz`` is
not compressed: decoded JPEG pixels shrink by 6% under zlib, which costs 4 s to write and
doubles the time to read.
"""

import hashlib
import io
import tarfile
import zlib
from pathlib import Path, PurePosixPath

import numpy as np

from finnflow.errors import DatasetNotFoundError
from finnflow.files import atomic_path, cache_dir

SHAPE = (3, 32, 32)
SHUFFLE_SEED = 0
NUM_CLASSES = 10
ARCHIVE = "cifar10-jpeg-{split}.tar.gz"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_IMAGE_BYTES = 1 << 20  # a 32x32 image is a few kB at most


def default_cache_dir() -> Path:
    """Where decoded datasets are cached (see the module docstring)."""
    return cache_dir("datasets", "FINNFLOW_DATA_CACHE")


def _decoder_tag() -> str:
    import PIL
    from PIL import features

    return f"pillow {PIL.__version__} libjpeg {features.version('jpg')}"


def _cache_path(archive: Path, split: str, cache_dir: Path) -> Path:
    digest = hashlib.sha256(_decoder_tag().encode())
    with open(archive, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return cache_dir / f"cifar10-jpeg-{split}-{digest.hexdigest()[:16]}.npz"


def _damaged(archive: Path, problem: str) -> DatasetNotFoundError:
    return DatasetNotFoundError(
        f"the CIFAR-10 archive {archive} is damaged or not a CIFAR-10 JPEG archive ({problem}): "
        "replace it with a good copy, or set `data_dir` to a folder holding "
        "cifar10-jpeg-train.tar.gz and cifar10-jpeg-test.tar.gz"
    )


def _members(archive: Path, split: str) -> list[tuple[str, str, bytes]]:
    """(class, file name, bytes) of every image under ``split/`` in the archive."""
    found = []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                parts = [p for p in PurePosixPath(member.name).parts if p != "."]
                if (
                    member.isfile()
                    and len(parts) == 3
                    and parts[0] == split
                    and parts[2].lower().endswith(IMAGE_SUFFIXES)
                ):
                    if member.size > MAX_IMAGE_BYTES:
                        raise _damaged(archive, f"{member.name} has {member.size} bytes")
                    found.append((parts[1], parts[2], tar.extractfile(member).read()))
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _damaged(archive, first) from None
    if not found:
        raise _damaged(archive, f"no {split}/<class>/<image> files in it")
    return sorted(found)


def decode_archive(archive: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images [N, 3, 32, 32] (uint8) and labels [N] of one split of a CIFAR-10 JPEG archive, in
    the fixed shuffled order."""
    from PIL import Image, UnidentifiedImageError

    members = _members(archive, split)
    order = np.random.default_rng(SHUFFLE_SEED).permutation(len(members))
    members = [members[i] for i in order]
    classes = sorted({c for c, _, _ in members})
    if len(classes) != NUM_CLASSES:
        raise _damaged(archive, f"{len(classes)} class folders under {split}/, not 10")
    index = {c: i for i, c in enumerate(classes)}
    x = np.empty((len(members), SHAPE[1], SHAPE[2], SHAPE[0]), dtype=np.uint8)
    y = np.empty(len(members), dtype=np.int64)
    for i, (cls, name, data) in enumerate(members):
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.size != (SHAPE[2], SHAPE[1]):
                    raise _damaged(archive, f"{split}/{cls}/{name} is {img.size[0]}x{img.size[1]}")
                x[i] = np.asarray(img.convert("RGB"))
        except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as e:
            raise _damaged(archive, f"{split}/{cls}/{name} does not decode: {e}") from None
        y[i] = index[cls]
    return x.transpose(0, 3, 1, 2).copy(), y


def _read_cache(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
    except (OSError, ValueError, KeyError, EOFError, zlib.error):
        return None
    if x.dtype != np.uint8 or x.shape[1:] != SHAPE or y.shape != (len(x),):
        return None
    return x, y.astype(np.int64)


def _write_cache(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, x=x, y=y.astype(np.uint8))
    except OSError:
        pass


def load_split(
    archive: Path, split: str, cache_dir: Path | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One split of a CIFAR-10 JPEG archive from the cache, decoding (and caching) it first if
    the cache does not hold it; ``cache_dir`` defaults to :func:`default_cache_dir`."""
    cache = _cache_path(archive, split, Path(cache_dir) if cache_dir else default_cache_dir())
    cached = _read_cache(cache)
    if cached is not None:
        return cached
    x, y = decode_archive(archive, split)
    _write_cache(cache, x, y)
    return x, y


def find_archives(folder: Path) -> tuple[Path, Path] | None:
    """The train and test archives in ``folder``, if both are there."""
    train, test = (folder / ARCHIVE.format(split=s) for s in ("train", "test"))
    return (train, test) if train.is_file() and test.is_file() else None


def download(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The original CIFAR-10 through torchvision (which checks every file's MD5 before
    reading it): x_train, y_train, x_test, y_test with images as [N, 3, 32, 32] uint8."""
    from torchvision import datasets as tvd

    out = []
    for train in (True, False):
        try:
            ds = tvd.CIFAR10(str(root), train=train, download=True)
        except (OSError, RuntimeError) as e:
            raise DatasetNotFoundError(
                f"downloading CIFAR-10 into {root} failed ({e}): check the connection, or set "
                "`data_dir` to a folder holding cifar10-jpeg-train.tar.gz and "
                "cifar10-jpeg-test.tar.gz"
            ) from None
        out += [np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)), np.asarray(ds.targets)]
    return tuple(out)
