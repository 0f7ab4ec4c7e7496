"""Convolutional networks in the style of Brevitas' bnn_pynq CNV, built from a list of layers.

A network is the input quantizer, then the layers (``Conv``: convolution -> BatchNorm ->
activation quantizer; ``MaxPool``), then fully-connected hidden layers (Linear -> BatchNorm ->
activation quantizer) and a bias-free output Linear whose integer accumulator is the class score.
Every quantizer has zero point 0, so the zeros a padded convolution adds are the integer 0 and
the flow's streamlining stays exact; a bipolar (1-bit) activation has no 0 level, so padding one
is refused.
"""

from dataclasses import dataclass

import torch
from brevitas import nn as qnn
from torch import nn

from finnflow.errors import ConfigError
from finnflow.networks.fc import CenterInput
from finnflow.networks.precision import Precision
from finnflow.networks.quantizers import InputQuant, act_quant, weight_quant

BN_EPS = 1e-4  # bnn_pynq's


@dataclass(frozen=True)
class Conv:
    """A square convolution without bias, followed by BatchNorm and the activation."""

    channels: int
    kernel: int = 3
    stride: int = 1
    padding: int = 0

    def __str__(self) -> str:
        return (
            f"conv {self.channels}, kernel {self.kernel}, stride {self.stride}, "
            f"padding {self.padding}"
        )


@dataclass(frozen=True)
class MaxPool:
    """Max pooling over ``kernel`` x ``kernel`` windows with stride ``kernel``."""

    kernel: int = 2

    def __str__(self) -> str:
        return f"maxpool {self.kernel}"


Layer = Conv | MaxPool
CONV_KEYS = ("conv", "kernel", "stride", "padding")


def _field(spec: dict, key: str, where: str, minimum: int, default: int) -> int:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        what = "a whole number >= 0" if minimum == 0 else "a positive whole number"
        raise ConfigError(f"{where}: {key}={value!r} must be {what}")
    return value


def parse_layers(specs) -> list[Layer]:
    """Layers from the config's ``layers`` list: ``{conv: C[, kernel: K, stride: S, padding:
    P]}`` (kernel 3, stride 1, padding 0 by default) or ``{maxpool: K}``."""
    example = "for example [{conv: 16, padding: 1}, {maxpool: 2}, {conv: 32, stride: 2}]"
    if not isinstance(specs, list) or not specs:
        raise ConfigError(f"layers={specs!r} must be a non-empty list of layers, {example}")
    layers: list[Layer] = []
    for i, spec in enumerate(specs):
        where = f"layers[{i}]"
        if isinstance(spec, dict) and "conv" in spec:
            unknown = sorted(set(spec) - set(CONV_KEYS))
            if unknown:
                raise ConfigError(
                    f"{where}: unknown key(s) {unknown}: a conv layer takes {', '.join(CONV_KEYS)}"
                )
            layers.append(
                Conv(
                    _field(spec, "conv", where, 1, 0),
                    _field(spec, "kernel", where, 1, 3),
                    _field(spec, "stride", where, 1, 1),
                    _field(spec, "padding", where, 0, 0),
                )
            )
        elif isinstance(spec, dict) and set(spec) == {"maxpool"}:
            layers.append(MaxPool(_field(spec, "maxpool", where, 1, 0)))
        else:
            raise ConfigError(
                f"{where}={spec!r}: a layer is {{conv: channels[, kernel, stride, padding]}} or "
                f"{{maxpool: kernel}}, {example}"
            )
    if not any(isinstance(layer, Conv) for layer in layers):
        raise ConfigError(f"layers={specs!r} has no conv layer: give at least one, {example}")
    return layers


def scale_layers(layers: list[Layer], width: float) -> list[Layer]:
    """The layers with each convolution's channels scaled by the width multiplier."""
    return [
        Conv(max(1, int(round(layer.channels * width))), layer.kernel, layer.stride, layer.padding)
        if isinstance(layer, Conv)
        else layer
        for layer in layers
    ]


def plan_shapes(
    image_shape: tuple[int, int, int],
    layers: list[Layer],
    precision: Precision,
    input_bits: int = 8,
) -> list[tuple[int, int, int]]:
    """The (C, H, W) output of each layer, checking that every window fits its input and that no
    padded convolution reads a bipolar tensor (its padding 0 is no level of +-1)."""
    c, h, w = image_shape
    bipolar = not precision.is_float and input_bits == 1
    source = "the 1-bit input (input_bits: 1)"
    shapes = []
    for i, layer in enumerate(layers):
        where = f"layers[{i}] ({layer})"
        k = layer.kernel
        if isinstance(layer, Conv) and layer.padding and bipolar:
            raise ConfigError(
                f"{where} pads {source}, which is bipolar (+1/-1): the padding's 0 is not one of "
                "its levels, so the hardware cannot represent it exactly; use activations of at "
                "least 2 bits before padded layers (for example w1a2, or input_bits >= 2 for the "
                "first layer) or padding: 0"
            )
        pad = layer.padding if isinstance(layer, Conv) else 0
        if h + 2 * pad < k or w + 2 * pad < k:
            raise ConfigError(
                f"{where} gets a {h}x{w} input, smaller than its {k}x{k} window: use fewer or "
                "smaller layers, padding, or a dataset with larger images"
            )
        if isinstance(layer, Conv):
            c = layer.channels
            h = (h + 2 * pad - k) // layer.stride + 1
            w = (w + 2 * pad - k) // layer.stride + 1
            bipolar = not precision.is_float and precision.act_bits == 1
            source = f"the bipolar output of layers[{i}] (a{precision.act_bits})"
        else:
            h, w = h // k, w // k
        shapes.append((c, h, w))
    return shapes


class PixelCode(nn.Module):
    """x in [0, 1] -> x * (2^b - 1) / 2^b, so that the b-bit input quantizer (scale 2^-b) takes
    the integer round(x * (2^b - 1)): for 8-bit images in [0, 1], the pixel's own code."""

    def __init__(self, bits: int):
        super().__init__()
        self.factor = (2**bits - 1) / 2**bits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor


class ConvNet(nn.Module):
    """Input quantizer, the convolution and pooling layers, fully-connected hidden layers and a
    bias-free output Linear; takes images [N, C, H, W] or their flat rows [N, C*H*W]."""

    def __init__(
        self,
        image_shape: tuple[int, int, int],
        num_classes: int,
        layers: list[Layer],
        hidden: list[int],
        precision: Precision,
        input_bits: int = 8,
    ):
        super().__init__()
        self.image_shape = tuple(int(d) for d in image_shape)
        self.precision = precision
        self.input_bits = input_bits
        shapes = plan_shapes(self.image_shape, layers, precision, input_bits)
        self.features = nn.Sequential(*self._input(), *self._conv_layers(layers))
        c, h, w = shapes[-1]
        self.classifier = nn.Sequential(nn.Flatten(), *self._fc_layers(c * h * w, hidden))
        self.classifier.append(self._linear(hidden[-1] if hidden else c * h * w, num_classes))

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.image_shape

    def _input(self) -> list[nn.Module]:
        if self.precision.is_float:
            return []
        if self.input_bits == 1:
            quant = qnn.QuantIdentity(act_quant=act_quant(1), return_quant_tensor=True)
            return [CenterInput(), quant]
        quant = qnn.QuantIdentity(
            act_quant=InputQuant, bit_width=self.input_bits, return_quant_tensor=True
        )
        return [PixelCode(self.input_bits), quant]

    def _activation(self) -> nn.Module:
        p = self.precision
        if p.is_float:
            return nn.Hardtanh()
        return qnn.QuantIdentity(
            act_quant=act_quant(p.act_bits), bit_width=p.act_bits, return_quant_tensor=True
        )

    def _linear(self, n_in: int, n_out: int) -> nn.Module:
        p = self.precision
        if p.is_float:
            return nn.Linear(n_in, n_out, bias=False)
        return qnn.QuantLinear(
            n_in,
            n_out,
            bias=False,
            weight_quant=weight_quant(p.weight_bits),
            weight_bit_width=p.weight_bits,
        )

    def _conv_layers(self, layers: list[Layer]) -> list[nn.Module]:
        p, channels, out = self.precision, self.image_shape[0], []
        for layer in layers:
            if isinstance(layer, MaxPool):
                out.append(nn.MaxPool2d(layer.kernel))
                continue
            shape = (channels, layer.channels, layer.kernel)
            conv_args = dict(stride=layer.stride, padding=layer.padding, bias=False)
            if p.is_float:
                out.append(nn.Conv2d(*shape, **conv_args))
            else:
                out.append(
                    qnn.QuantConv2d(
                        *shape,
                        **conv_args,
                        weight_quant=weight_quant(p.weight_bits),
                        weight_bit_width=p.weight_bits,
                    )
                )
            out += [nn.BatchNorm2d(layer.channels, eps=BN_EPS), self._activation()]
            channels = layer.channels
        return out

    def _fc_layers(self, n_in: int, hidden: list[int]) -> list[nn.Module]:
        out = []
        for h in hidden:
            out += [self._linear(n_in, h), nn.BatchNorm1d(h, eps=BN_EPS), self._activation()]
            n_in = h
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.reshape(x.shape[0], *self.image_shape)
        out = self.classifier(self.features(x))
        return out.value if hasattr(out, "value") else out


def build_conv(
    image_shape: tuple[int, int, int],
    num_classes: int,
    precision: Precision,
    layers: list[Layer] | list[dict],
    hidden: list[int] | None = None,
    width: float = 1.0,
    input_bits: int = 8,
) -> ConvNet:
    """A ConvNet from layers (``Conv``/``MaxPool`` or the config's mappings) and hidden sizes,
    channels and hidden sizes scaled by ``width``."""
    if any(isinstance(layer, dict) for layer in layers):
        layers = parse_layers(layers)
    sizes = [max(1, int(round(h * width))) for h in hidden or []]
    return ConvNet(
        image_shape, num_classes, scale_layers(layers, width), sizes, precision, input_bits
    )
