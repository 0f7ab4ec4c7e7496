"""Train CNV on CIFAR-10 at w1a1 and w2a2 (build_configs/cnv_*_cifar10.yaml) and write the
compact checkpoints that builds load with ``checkpoint: FILE.npz``.

Uses the GPU when torch sees one (``train.device: auto``), else every CPU core (slowly: minutes
per epoch). After every epoch each network's state goes to ``OUT/<config>/train_state.pt``;
running the same command again after an interruption resumes after the last finished epoch, and
a finished network is not trained again. Per network it writes ``checkpoint.pt`` (the state
dict), ``<config>.npz`` (the compact checkpoint: packed integer weights, under 0.5 MB) and
``metrics.json`` (accuracy and the per-epoch log).

    python bench/train_cnv.py [--out build/cnv_cifar10] [--data-dir DIR] [--epochs N]
        [--width W] [--train-samples N] [--test-samples N] [CONFIG.yaml ...]

``--epochs``, ``--width`` and the sample counts override the configs for quick trials.
"""

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from finnflow.build.folder import flow_version
from finnflow.config import BuildConfig, load_config, validate
from finnflow.networks import build_network, parse_precision
from finnflow.training import (
    Dataset,
    build_from_compact,
    load_dataset,
    predict,
    save_checkpoint,
    save_compact,
    seed_everything,
    train,
)

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [ROOT / "build_configs" / f"cnv_{p}_cifar10.yaml" for p in ("w1a1", "w2a2")]
CHECK_SAMPLES = 1000  # test images on which the compact checkpoint must reproduce the logits


def log(line: str) -> None:
    print(f"[train_cnv] {line}", flush=True)


def description(cfg: BuildConfig, data: Dataset) -> dict:
    """What :func:`finnflow.training.build_from_compact` needs to rebuild the network."""
    return {
        "network": cfg.network,
        "precision": cfg.precision,
        "width": cfg.width,
        "input_bits": cfg.input_bits,
        "hidden": cfg.hidden,
        "layers": cfg.layers,
        "input_shape": list(data.input_shape),
        "num_classes": data.num_classes,
        "dataset": data.name,
    }


def train_one(cfg: BuildConfig, data: Dataset, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(cfg.train.seed)
    net = build_network(
        cfg.network,
        data.input_shape,
        data.num_classes,
        parse_precision(cfg.precision),
        cfg.hidden,
        cfg.layers,
        cfg.width,
        cfg.input_bits,
    )
    meta = {**description(cfg, data), "flow": flow_version()}
    t = cfg.train
    log(f"{cfg.name}: {t.epochs} epochs, batch {t.batch_size}, lr {t.lr}, device {t.device}")
    result = train(
        net,
        data,
        t.epochs,
        t.batch_size,
        t.lr,
        t.seed,
        threads=t.threads,
        augment=cfg.augmentation(),
        logit_scale=t.logit_scale,
        device=t.device,
        state_path=out / "train_state.pt",
        state_meta=meta,
        log=lambda line: log(f"{cfg.name}: {line}"),
    )
    meta["test_accuracy"] = result.test_accuracy
    save_checkpoint(net, out / "checkpoint.pt", meta, result)
    compact = save_compact(net, out / f"{cfg.name}.npz", meta)
    loaded, _ = build_from_compact(compact)
    x = data.x_test[:CHECK_SAMPLES]
    same = np.array_equal(predict(net, x), predict(loaded, x))
    log(
        f"{cfg.name}: test accuracy {result.test_accuracy:.4f} after {t.epochs} epochs "
        f"({result.seconds:.0f} s of training); {compact} is {compact.stat().st_size} bytes"
        f"{', reproducing' if same else ' and DOES NOT reproduce'} the network's outputs"
    )
    return {
        "test_accuracy": result.test_accuracy,
        "compact_bytes": compact.stat().st_size,
        "compact_bit_exact": same,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", type=Path, default=CONFIGS)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "cnv_cifar10")
    parser.add_argument("--data-dir", help="folder of the CIFAR-10 JPEG archives")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--width", type=float)
    parser.add_argument("--train-samples", type=int)
    parser.add_argument("--test-samples", type=int)
    args = parser.parse_args(argv)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    start = time.time()
    cfgs = []
    for path in args.configs:
        cfg = load_config(path)
        if args.data_dir:
            cfg.data_dir = args.data_dir
        if args.epochs:
            cfg.train = replace(cfg.train, epochs=args.epochs)
        if args.width:
            cfg.width = args.width
        cfgs.append(validate(cfg))
    datasets = {}
    results = {}
    for cfg in cfgs:
        key = (cfg.dataset, cfg.data_dir, cfg.download)
        if key not in datasets:
            t0 = time.time()
            full = load_dataset(*key)
            datasets[key] = full.subset(args.train_samples, args.test_samples)
            log(f"loaded {cfg.dataset} in {time.time() - t0:.1f} s")
        results[cfg.name] = train_one(cfg, datasets[key], args.out / cfg.name)
    log(f"done in {time.time() - start:.0f} s: {results}")
    return 0 if all(r["compact_bit_exact"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
