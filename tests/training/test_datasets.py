import gzip

import numpy as np
import pytest

from finnflow.errors import ConfigError, DatasetNotFoundError
from finnflow.training import load_dataset, read_idx


def test_digits_is_embedded_and_split(digits):
    assert digits.x_train.shape[1] == 64 and digits.num_classes == 10
    assert len(digits.x_test) >= 400
    assert 0.0 <= digits.x_train.min() and digits.x_train.max() <= 1.0
    assert len(np.unique(digits.y_test)) == 10


def test_mnist_from_idx_folder(shared_mnist):
    data = load_dataset("mnist", shared_mnist)
    assert data.x_train.shape == (10000, 784) and data.x_test.shape == (10000, 784)
    assert data.x_test.max() == 1.0 and set(np.unique(data.y_test)) == set(range(10))


def test_idx_roundtrip(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    with gzip.open(tmp_path / "a-idx3-ubyte.gz", "wb") as f:
        f.write(header + arr.tobytes())
    assert np.array_equal(read_idx(tmp_path / "a-idx3-ubyte.gz"), arr)


def test_missing_dataset_says_where_and_how(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        load_dataset("fashion-mnist", tmp_path / "nowhere")
    assert "nowhere" in str(e.value) and "apt-get install dataset-fashion-mnist" in str(e.value)


def test_unknown_dataset():
    with pytest.raises(ConfigError, match="choose one of digits"):
        load_dataset("imagenet")
