"""CIFAR-10 from the shared JPEG archives: counts, balanced labels, a deterministic decode, the
cache, and clear errors for a damaged or missing archive."""

import gzip
import io
import shutil
import tarfile

import numpy as np
import pytest

from finnflow.errors import DatasetNotFoundError
from finnflow.training import load_cifar10, load_dataset
from finnflow.training.cifar10 import ARCHIVE, decode_archive, load_split

TEST_ARCHIVE = ARCHIVE.format(split="test")


@pytest.fixture(scope="module")
def cifar10(shared_cifar10, data_cache):
    return load_cifar10(shared_cifar10, cache_dir=data_cache)


def test_counts_labels_and_layout(cifar10):
    assert cifar10.x_train.shape == (50_000, 3 * 32 * 32)
    assert cifar10.x_test.shape == (10_000, 3 * 32 * 32)
    assert cifar10.image_shape == (3, 32, 32) and cifar10.num_classes == 10
    assert cifar10.x_train.dtype == np.float32
    assert cifar10.x_train.min() == 0.0 and cifar10.x_train.max() == 1.0
    assert np.bincount(cifar10.y_train).tolist() == [5000] * 10
    assert np.bincount(cifar10.y_test).tolist() == [1000] * 10
    # a shuffled order: the first 200 test images (what a build verifies on) hold every class
    assert len(np.unique(cifar10.y_test[:200])) == 10


def test_rows_are_chw_pixels(cifar10, cifar10_test):
    """A row is the image's uint8 pixels / 255 in C, H, W order (the same decode as the
    fixture's); the red channel of an image comes first."""
    images, labels = cifar10_test
    assert np.array_equal(cifar10.y_test, labels)
    pixels = np.rint(cifar10.x_test[:50] * 255).astype(np.uint8)
    assert np.array_equal(pixels, images[:50].reshape(50, -1))
    assert np.array_equal(pixels[:, :1024], images[:50, 0].reshape(50, -1))


def test_decode_is_deterministic_and_cached(shared_cifar10, cifar10_test, tmp_path):
    archive = shared_cifar10 / TEST_ARCHIVE
    x, y = decode_archive(archive, "test")
    assert np.array_equal(x, cifar10_test[0]) and np.array_equal(y, cifar10_test[1])
    x1, _ = load_split(archive, "test", tmp_path)
    (cache,) = tmp_path.glob("cifar10-jpeg-test-*.npz")
    assert np.array_equal(x1, x)
    # a hit reads the cache, not the archive: an altered cache file is what comes back
    with np.load(cache) as f:
        altered = f["x"].copy()
    altered[0] = 7
    with open(cache, "wb") as f:
        np.savez(f, x=altered, y=y.astype(np.uint8))
    assert np.array_equal(load_split(archive, "test", tmp_path)[0][0], altered[0])


def test_unreadable_cache_is_decoded_again(shared_cifar10, cifar10_test, tmp_path):
    archive = shared_cifar10 / TEST_ARCHIVE
    load_split(archive, "test", tmp_path)
    (cache,) = tmp_path.glob("*.npz")
    cache.write_bytes(b"not an npz")
    x, _ = load_split(archive, "test", tmp_path)
    assert np.array_equal(x, cifar10_test[0])
    with np.load(cache) as f:
        assert f["x"].shape == (10_000, 3, 32, 32)


def _tar_gz(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _damaged(kind: str, good: bytes, jpeg: bytes) -> bytes:
    classes = ["airplane", "automobile", "bird", "cat", "deer"]
    classes += ["dog", "frog", "horse", "ship", "truck"]
    if kind == "truncated":
        return good[: len(good) // 2]
    if kind == "not gzip":
        return b"plain text, no archive"
    if kind == "bad jpeg":
        return _tar_gz({f"test/{c}/0001.jpg": b"garbage" if c == "cat" else jpeg for c in classes})
    if kind == "no images":
        return gzip.compress(b"\0" * 1024)
    return _tar_gz({"test/cat/0001.jpg": jpeg, "test/dog/0001.jpg": jpeg})


@pytest.mark.parametrize(
    "kind, problem",
    [
        ("truncated", "damaged or not a CIFAR-10 JPEG archive"),
        ("not gzip", "damaged or not a CIFAR-10 JPEG archive"),
        ("bad jpeg", "test/cat/0001.jpg does not decode"),
        ("no images", "no test/<class>/<image> files"),
        ("two classes", "2 class folders under test/, not 10"),
    ],
)
def test_damaged_archive_is_a_clear_error(kind, problem, shared_cifar10, tmp_path):
    good = (shared_cifar10 / TEST_ARCHIVE).read_bytes()
    with tarfile.open(fileobj=io.BytesIO(good)) as tar:
        jpeg = tar.extractfile("test/cat/0001.jpg").read()
    archive = tmp_path / TEST_ARCHIVE
    archive.write_bytes(_damaged(kind, good, jpeg))
    with pytest.raises(DatasetNotFoundError) as e:
        load_split(archive, "test", tmp_path)
    message = str(e.value)
    assert str(archive) in message and problem in message
    assert "replace it with a good copy" in message
    assert not list(tmp_path.glob("*.npz")), "nothing is cached from a damaged archive"


def test_damaged_test_archive_fails_the_dataset(shared_cifar10, data_cache, tmp_path):
    shutil.copy(shared_cifar10 / ARCHIVE.format(split="train"), tmp_path)
    (tmp_path / TEST_ARCHIVE).write_bytes((shared_cifar10 / TEST_ARCHIVE).read_bytes()[:5000])
    with pytest.raises(DatasetNotFoundError, match="damaged or not a CIFAR-10 JPEG archive"):
        load_cifar10(tmp_path, cache_dir=data_cache)


def test_missing_archive_says_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("cifar10", tmp_path / "nowhere")
    message = str(e.value)
    assert "nowhere" in message and "cifar10-jpeg-train.tar.gz" in message
    assert "download: true" in message
