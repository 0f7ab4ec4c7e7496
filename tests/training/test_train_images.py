"""Training on CIFAR-10 images: the crop-and-flip augmentation, CNV at width 0.125 learning on a
small real subset, and an interrupted training that resumes from its epoch checkpoint to the
weights of an uninterrupted one."""

import numpy as np
import pytest
import torch

from finnflow.errors import ConfigError
from finnflow.networks import build_cnv, parse_precision
from finnflow.training import Dataset, choose_device, random_crop_flip, train


def test_random_crop_flip_is_a_shifted_window_of_the_padded_image(cifar10_test):
    images = torch.from_numpy(cifar10_test[0][:64].astype(np.float32))
    out = random_crop_flip(images, np.random.default_rng(5))
    assert out.shape == images.shape
    padded = torch.nn.functional.pad(images, (4, 4, 4, 4))
    flipped = 0
    for img, crop in zip(padded, out, strict=True):
        crops = {(dy, dx): img[:, dy : dy + 32, dx : dx + 32] for dy in range(9) for dx in range(9)}
        windows = [
            (offset, flip)
            for offset, window in crops.items()
            for flip in (False, True)
            if torch.equal(crop, window.flip(2) if flip else window)
        ]
        assert windows, "every output is a 32x32 window of the padded image, maybe mirrored"
        flipped += all(flip for _, flip in windows)
    assert 10 < flipped < 54  # about half are mirrored
    again = random_crop_flip(images, np.random.default_rng(5))
    assert torch.equal(out, again)


def test_cnv_learns_a_small_cifar_subset_with_augmentation(cifar10_small):
    torch.manual_seed(0)
    net = build_cnv(parse_precision("w2a2"), 0.125)
    lines = []
    result = train(net, cifar10_small, epochs=3, progress=False, augment=True, log=lines.append)
    assert result.test_accuracy > 0.2  # chance is 0.1; 0.25 to 0.35 over seeds
    assert [h["epoch"] for h in result.history] == [1, 2, 3]
    assert lines[2].startswith("epoch 3/3: loss ") and "test accuracy" in lines[2]
    assert all(h["seconds"] > 0 and 0 <= h["train_accuracy"] <= 1 for h in result.history)
    assert next(net.parameters()).device.type == "cpu"


def test_logit_scale_keeps_a_binary_class_layer_out_of_saturation(cifar10_small):
    """Full-width CNV w1a1 ends in a binary class layer of fan-in 512 whose integer scores
    saturate the cross-entropy; with the learned factor on the outputs the first epoch learns."""
    data = cifar10_small.subset(512, 100)
    losses = {}
    for scaled in (False, True):
        torch.manual_seed(0)
        net = build_cnv(parse_precision("w1a1"), 1.0)
        # one thread: the float sums, and so the losses, do not depend on the thread count an
        # earlier test in this process left behind
        result = train(net, data, epochs=1, progress=False, threads=1, logit_scale=scaled)
        losses[scaled] = result.history[0]["loss"]
    assert losses[False] > 5  # chance level is ln 10 = 2.3
    assert losses[True] < 0.6 * losses[False]  # 3.56 against 6.46


class Interrupted(Exception):
    """Stands for Ctrl-C or a lost machine after an epoch's checkpoint is written."""


@pytest.mark.parametrize("precision", ["w1a1", "w2a2"])  # w2a2 learns its activation scales
def test_interrupted_training_resumes_after_the_last_epoch(precision, cifar10_small, tmp_path):
    data = cifar10_small.subset(512, 200)
    kw = dict(epochs=3, batch_size=64, progress=False, augment=True, seed=2)
    meta = {"network": "CNV", "width": 0.125}

    torch.manual_seed(0)
    reference = build_cnv(parse_precision(precision), 0.125)
    expected = train(reference, data, **kw)

    def stop_after_epoch_2(line):
        if line.startswith("epoch 2/3"):
            raise Interrupted

    state = tmp_path / "train_state.pt"
    torch.manual_seed(0)
    with pytest.raises(Interrupted):
        train(
            build_cnv(parse_precision(precision), 0.125),
            data,
            state_path=state,
            state_meta=meta,
            log=stop_after_epoch_2,
            **kw,
        )
    lines = []
    torch.manual_seed(1)  # a fresh process: other initial weights, all replaced by the resume
    resumed_net = build_cnv(parse_precision(precision), 0.125)
    resumed = train(resumed_net, data, state_path=state, state_meta=meta, log=lines.append, **kw)
    assert lines[0] == f"resuming after epoch 2/3 from {state}"
    assert [line.split(":")[0] for line in lines[1:]] == ["epoch 3/3"]
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3]
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in expected.history]
    for (key, a), b in zip(
        reference.state_dict().items(), resumed_net.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b), key


def test_epoch_checkpoint_of_another_run_is_not_resumed(cifar10_small, tmp_path):
    data = cifar10_small.subset(256, 100)
    state = tmp_path / "train_state.pt"
    net = build_cnv(parse_precision("w2a2"), 0.125)
    train(net, data, epochs=1, progress=False, state_path=state, state_meta={"width": 0.125})
    lines = []
    train(net, data, epochs=1, lr=0.01, progress=False, state_path=state, log=lines.append)
    assert len(lines) == 1 and lines[0].startswith("epoch 1/1")
    state.write_bytes(b"damaged")
    with pytest.raises(ConfigError, match="cannot be read .* delete it to train from the start"):
        train(net, data, epochs=1, progress=False, state_path=state)


def test_augmentation_needs_images(digits):
    flat = Dataset("rows", digits.x_train, digits.y_train, digits.x_test, digits.y_test)
    with pytest.raises(ConfigError, match="train.augment needs images.*set augment: false"):
        train(build_cnv(parse_precision("w2a2"), 0.125), flat, epochs=1, augment=True)


def test_device_choice():
    assert choose_device("cpu").type == "cpu"
    assert choose_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="choose one of auto, cpu, cuda"):
        choose_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="torch sees no CUDA GPU: use auto or cpu"):
            choose_device("cuda")
