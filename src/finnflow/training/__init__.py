"""Quantization-aware training, datasets, checkpoints and accuracy."""

from finnflow.training.datasets import DATASETS, Dataset, load_dataset, read_idx
from finnflow.training.train import (
    TrainResult,
    accuracy,
    load_checkpoint,
    predict,
    save_checkpoint,
    seed_everything,
    train,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "TrainResult",
    "accuracy",
    "load_checkpoint",
    "load_dataset",
    "predict",
    "read_idx",
    "save_checkpoint",
    "seed_everything",
    "train",
]
