"""Random FC networks for property tests and the random-model benchmark: a hypothesis strategy
over layer sizes, precisions, input bits, batch-norm statistics (by seed) and foldings, and a
build of one drawn network through the whole flow, rtlsim included."""

from dataclasses import dataclass
from pathlib import Path

import torch
from hypothesis import strategies as st

from finnflow.build import run_build
from finnflow.build.steps import Build
from finnflow.config import BuildConfig, TrainConfig, validate
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
            if isinstance(m, torch.nn.Linear):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * 0.5)
            if isinstance(m, torch.nn.BatchNorm1d):
                n = m.num_features
                m.running_mean.copy_(torch.randn(n, generator=g) * 2)
                m.running_var.copy_(torch.rand(n, generator=g) * 4 + 0.1)
                m.weight.copy_(torch.randn(n, generator=g))
                m.bias.copy_(torch.randn(n, generator=g))


def build_random_fc(case: RandomFC, folder: Path, stop_step: str | None = None) -> dict:
    """Build ``case`` (untrained, randomized) through every step with rtlsim (or up to
    ``stop_step``) in ``folder/build``; the summary."""
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
    ckpt = Path(folder) / "random.pt"
    net = Build(cfg, Path(folder) / "net").network()
    _randomize(net, case.seed)
    save_checkpoint(net, ckpt, {"network": "FC", "precision": cfg.precision})
    cfg.checkpoint = str(ckpt)
    return run_build(validate(cfg), Path(folder) / "build", stop_step=stop_step)
