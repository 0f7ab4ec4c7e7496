"""Quantization-aware training, datasets, checkpoints and accuracy."""

from finnflow.training.compact import (
    build_from_compact,
    load_compact,
    read_compact_meta,
    save_compact,
)
from finnflow.training.datasets import (
    DATASETS,
    IMAGE_SHAPES,
    Dataset,
    load_cifar10,
    load_dataset,
    read_idx,
)
from finnflow.training.train import (
    TrainResult,
    accuracy,
    choose_device,
    load_checkpoint,
    predict,
    random_crop_flip,
    save_checkpoint,
    seed_everything,
    train,
)

__all__ = [
    "DATASETS",
    "IMAGE_SHAPES",
    "Dataset",
    "TrainResult",
    "accuracy",
    "build_from_compact",
    "choose_device",
    "load_checkpoint",
    "load_cifar10",
    "load_compact",
    "load_dataset",
    "predict",
    "random_crop_flip",
    "read_compact_meta",
    "read_idx",
    "save_checkpoint",
    "save_compact",
    "seed_everything",
    "train",
]
