"""Networks by name: the FC family (TFC, SFC, LFC, or FC with ``hidden``), CNV, and ``conv``
with ``layers``; one place that checks a network's description and builds it."""

import math

from torch import nn

from finnflow.errors import ConfigError
from finnflow.networks.cnv import CNV_HIDDEN, CNV_LAYERS, build_cnv
from finnflow.networks.conv import build_conv, parse_layers, plan_shapes, scale_layers
from finnflow.networks.fc import TOPOLOGIES, build_fc
from finnflow.networks.precision import Precision

NETWORKS = (*TOPOLOGIES, "FC", "CNV", "conv")


def network_kind(name: str) -> str:
    """``fc``, ``cnv`` or ``conv`` for a network name (any case)."""
    key = str(name).upper()
    if key in (*TOPOLOGIES, "FC"):
        return "fc"
    if key in ("CNV", "CONV"):
        return key.lower()
    raise ConfigError(
        f"network={name!r}: choose one of {', '.join(TOPOLOGIES)}, FC with `hidden: [sizes]`, "
        "CNV (with `width`), or conv with `layers: [...]`"
    )


def check_network(
    name: str,
    hidden: list[int] | None,
    layers: list | None,
    image_shape: tuple[int, int, int] | None,
    precision: Precision,
    input_bits: int = 8,
    width: float = 1.0,
) -> None:
    """Raise a ConfigError naming the field and the fix if the description does not make a
    network; with the dataset's ``image_shape``, also check that every layer's window fits."""
    kind = network_kind(name)
    if kind != "conv" and layers is not None:
        raise ConfigError(
            f"`layers` describes network: conv, not network={name!r}: remove it, or set "
            "network: conv"
        )
    if kind == "fc":
        if name.upper() == "FC" and not hidden:
            raise ConfigError("network=FC needs `hidden`, for example hidden: [256, 256]")
        return
    if kind == "cnv" and hidden is not None:
        raise ConfigError(
            f"CNV's fully-connected sizes are fixed ({list(CNV_HIDDEN)}, scaled by `width`): "
            "remove `hidden`, or use network: conv with `layers` and `hidden`"
        )
    if kind == "conv" and layers is None:
        raise ConfigError(
            "network=conv needs `layers`, for example layers: [{conv: 16, padding: 1}, "
            "{maxpool: 2}, {conv: 32}] (and optionally hidden: [sizes])"
        )
    specs = list(CNV_LAYERS) if kind == "cnv" else parse_layers(layers)
    if image_shape is None:
        return
    if len(image_shape) != 3:
        raise ConfigError(
            f"network={name!r} needs images (C, H, W), but the dataset's rows are flat "
            f"{tuple(image_shape)}: use an image dataset or an FC network"
        )
    try:
        plan_shapes(tuple(image_shape), scale_layers(specs, width), precision, input_bits)
    except ConfigError as e:
        if kind != "cnv":
            raise
        h, w = image_shape[1:]
        raise ConfigError(
            f"CNV does not fit {h}x{w} images: its {e}; CNV is made for 32x32 images (dataset: "
            "cifar10); for smaller ones use network: conv with `layers`"
        ) from None


def build_network(
    name: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    precision: Precision,
    hidden: list[int] | None = None,
    layers: list | None = None,
    width: float = 1.0,
    input_bits: int = 8,
) -> nn.Module:
    """The untrained network ``name`` for inputs of ``input_shape`` (C, H, W for images, or
    (features,)); FC networks read the flattened input."""
    check_network(name, hidden, layers, tuple(input_shape), precision, input_bits, width)
    kind = network_kind(name)
    if kind == "fc":
        topology = None if name.upper() == "FC" else name
        features = math.prod(input_shape)
        return build_fc(features, num_classes, precision, topology, hidden, width, input_bits)
    if kind == "cnv":
        return build_cnv(precision, width, tuple(input_shape), num_classes, input_bits)
    return build_conv(tuple(input_shape), num_classes, precision, layers, hidden, width, input_bits)
