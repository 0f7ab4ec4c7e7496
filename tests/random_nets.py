"""Random FC and conv networks for the property tests and the random-model benchmark: hypothesis
strategies over layers, precisions, input bits, batch-norm statistics (by seed) and foldings, and
a build of one drawn network (untrained, randomized) through the whole flow, rtlsim included."""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st

from finnflow.build import run_build
from finnflow.build.steps import Build
from finnflow.config import BuildConfig, TrainConfig, validate
from finnflow.errors import FoldingError
from finnflow.hw.base import hw_nodes
from finnflow.networks.precision import SUPPORTED_BITS
from finnflow.training.train import save_checkpoint

IN_FEATURES, CLASSES = 64, 10  # digits
SIZES = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32)


@dataclass(frozen=True)
class RandomFC:
    hidden: tuple[int, ...]
    w: int
    a: int
    input_bits: int
    seed: int
    folding: tuple[tuple[int, int], ...]  # (PE, SIMD) of MVAU_0, MVAU_1, ...

    def __str__(self) -> str:
        sizes = "x".join(map(str, self.hidden))
        return f"fc{sizes}-w{self.w}a{self.a}-i{self.input_bits}-s{self.seed}"


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def layer_dims(hidden: tuple[int, ...]) -> list[tuple[int, int]]:
    """(MW, MH) of each MVAU."""
    sizes = [IN_FEATURES, *hidden, CLASSES]
    return list(zip(sizes[:-1], sizes[1:], strict=True))


@st.composite
def random_fc(draw) -> RandomFC:
    hidden = tuple(draw(st.lists(st.sampled_from(SIZES), min_size=1, max_size=3)))
    folding = tuple(
        (draw(st.sampled_from(_divisors(mh))), draw(st.sampled_from(_divisors(mw))))
        for mw, mh in layer_dims(hidden)
    )
    return RandomFC(
        hidden=hidden,
        w=draw(st.sampled_from(SUPPORTED_BITS)),
        a=draw(st.sampled_from(SUPPORTED_BITS)),
        input_bits=draw(st.sampled_from(SUPPORTED_BITS)),
        seed=draw(st.integers(0, 2**16 - 1)),
        folding=folding,
    )


def _randomize(net: torch.nn.Module, seed: int) -> None:
    """Random weights and batch-norm statistics, scales of either sign included, so the
    thresholds are arbitrary (descending ones too) rather than those training produces."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Linear | torch.nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * 0.5)
            if isinstance(m, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 2)
                m.running_var.copy_(torch.rand(n, generator=g) * 4 + 0.1)
                m.weight.copy_(torch.randn(n, generator=g))
                m.bias.copy_(torch.randn(n, generator=g))


def _build_randomized(cfg: BuildConfig, seed: int, folder: Path, stop_step: str | None) -> dict:
    """Build ``cfg`` from its network with random weights and batch-norm statistics (``seed``)
    in ``folder/build``, with rtlsim unless it stops at ``stop_step``; the summary."""
    ckpt = Path(folder) / "random.pt"
    if not ckpt.is_file():
        net = Build(cfg, Path(folder) / "net").network()
        _randomize(net, seed)
        save_checkpoint(net, ckpt, {"network": cfg.network, "precision": cfg.precision})
    cfg = replace(cfg, checkpoint=str(ckpt))
    return run_build(validate(cfg), Path(folder) / "build", stop_step=stop_step)


def build_random_fc(case: RandomFC, folder: Path, stop_step: str | None = None) -> dict:
    """Build ``case`` through every step with rtlsim (or up to ``stop_step``) in
    ``folder/build``; the summary."""
    folding = {f"MVAU_{i}": {"PE": pe, "SIMD": simd} for i, (pe, simd) in enumerate(case.folding)}
    cfg = BuildConfig(
        name=str(case),
        network="FC",
        hidden=list(case.hidden),
        precision=f"w{case.w}a{case.a}",
        input_bits=case.input_bits,
        dataset="digits",
        train=TrainConfig(epochs=1, seed=case.seed),
        folding=folding,
        verify_samples=40,
        rtlsim=True,
        rtlsim_frames=8,
    )
    return _build_randomized(cfg, case.seed, folder, stop_step)


DIGITS_SIDE = 8  # digits are 1 x 8 x 8 images
CHANNELS = (1, 2, 3, 4, 6, 8)


@dataclass(frozen=True)
class RandomConv:
    """Conv layers ``("conv", channels, kernel, stride, padding)`` and ``("maxpool", kernel)``,
    FC hidden sizes, precisions, the randomization seed and the seed of the folding draw (made
    over each hardware layer's folding space once the layers exist)."""

    layers: tuple[tuple, ...]
    hidden: tuple[int, ...]
    w: int
    a: int
    input_bits: int
    seed: int
    fold_seed: int

    def __str__(self) -> str:
        parts = [
            f"c{layer[1]}k{layer[2]}s{layer[3]}p{layer[4]}"
            if layer[0] == "conv"
            else f"m{layer[1]}"
            for layer in self.layers
        ]
        fc = "x".join(map(str, self.hidden)) or "0"
        return (
            f"conv-{'-'.join(parts)}-fc{fc}-w{self.w}a{self.a}-i{self.input_bits}-s{self.seed}"
            f"-f{self.fold_seed}"
        )

    def layer_specs(self) -> list[dict]:
        """The layers as the config's ``layers`` list."""
        specs = []
        for kind, size, *conv in self.layers:
            if kind == "maxpool":
                specs.append({"maxpool": size})
            else:
                specs.append(
                    dict(zip(("conv", "kernel", "stride", "padding"), (size, *conv), strict=True))
                )
        return specs


@st.composite
def random_conv(draw) -> RandomConv:
    """One to three layers on the 8 x 8 digits, a conv first; padding only where the input of
    the convolution is not bipolar (a padded +-1 tensor is refused by design); max-pool where
    the image still has two rows."""
    w = draw(st.sampled_from(SUPPORTED_BITS))
    a = draw(st.sampled_from(SUPPORTED_BITS))
    input_bits = draw(st.sampled_from(SUPPORTED_BITS))
    side, bipolar, layers = DIGITS_SIDE, input_bits == 1, []
    for i in range(draw(st.integers(1, 3))):
        if i > 0 and side >= 2 and draw(st.booleans()):
            k = draw(st.sampled_from([k for k in (2, 3) if k <= side]))
            layers.append(("maxpool", k))
            side //= k
            continue
        pad = 0 if bipolar else draw(st.integers(0, 1))
        kernel = draw(st.sampled_from([k for k in (1, 2, 3) if k <= side + 2 * pad]))
        stride = draw(st.sampled_from((1, 2)))
        layers.append(("conv", draw(st.sampled_from(CHANNELS)), kernel, stride, pad))
        side = (side + 2 * pad - kernel) // stride + 1
        bipolar = a == 1
    hidden = tuple(draw(st.lists(st.sampled_from((4, 8, 10, 16)), max_size=1)))
    return RandomConv(
        tuple(layers),
        hidden,
        w,
        a,
        input_bits,
        draw(st.integers(0, 2**16 - 1)),
        draw(st.integers(0, 2**16 - 1)),
    )


def random_folding(model, seed: int) -> dict:
    """A folding drawn from each hardware layer's folding space (``get_folding_space``), redrawn
    where the layer rejects the combination (a parallel window needs SIMD = channels)."""
    from qonnx.custom_op.registry import getCustomOp

    rng = np.random.default_rng(seed)
    folding = {}
    for node in hw_nodes(model):
        inst = getCustomOp(node)
        space = inst.get_folding_space()
        for _ in range(100):
            choice = {attr: values[rng.integers(len(values))] for attr, values in space.items()}
            for attr, value in choice.items():
                inst.set_nodeattr(attr, value.item() if hasattr(value, "item") else value)
            try:
                inst.verify_folding()
                break
            except FoldingError:
                continue
        folding[node.name] = {attr: inst.get_nodeattr(attr) for attr in space}
    return folding


def build_random_conv(case: RandomConv, folder: Path, stop_step: str | None = None) -> dict:
    """Build ``case`` up to the dataflow partition, draw its folding over the hardware layers
    found there, then go on through every step with rtlsim (or up to ``stop_step``) in the same
    folder; the summary."""
    cfg = BuildConfig(
        name=str(case),
        network="conv",
        layers=case.layer_specs(),
        hidden=list(case.hidden),
        precision=f"w{case.w}a{case.a}",
        input_bits=case.input_bits,
        dataset="digits",
        train=TrainConfig(epochs=1, seed=case.seed),
        verify_samples=40,
        rtlsim=True,
        rtlsim_frames=8,
    )
    _build_randomized(cfg, case.seed, folder, "partition")
    dataflow = Build(cfg, Path(folder) / "build").dataflow
    cfg = replace(cfg, folding=random_folding(dataflow, case.fold_seed))
    return _build_randomized(cfg, case.seed, folder, stop_step)
