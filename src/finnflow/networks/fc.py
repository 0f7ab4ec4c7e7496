"""Fully-connected networks in the style of Brevitas' bnn_pynq FC models (TFC, SFC, LFC)."""

import torch
from brevitas import nn as qnn
from torch import nn

from finnflow.errors import ConfigError
from finnflow.networks.precision import Precision
from finnflow.networks.quantizers import InputQuant, act_quant, weight_quant

TOPOLOGIES = {"TFC": (64, 64, 64), "SFC": (256, 256, 256), "LFC": (1024, 1024, 1024)}


def hidden_sizes(topology: str | None, hidden: list[int] | None, width: float = 1.0) -> list[int]:
    """Hidden sizes from a named topology or an explicit list, scaled by a width multiplier."""
    if hidden is None:
        key = (topology or "TFC").upper()
        if key not in TOPOLOGIES:
            raise ConfigError(
                f"unknown FC topology {topology!r}: choose one of {', '.join(TOPOLOGIES)} "
                "or give `hidden: [sizes]`"
            )
        hidden = list(TOPOLOGIES[key])
    return [max(1, int(round(h * width))) for h in hidden]


class CenterInput(nn.Module):
    """x - 0.5: a 1-bit input is bipolar, +1 where a pixel is at least half on."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - 0.5


class FC(nn.Module):
    """Input quantizer, then [Linear -> BatchNorm -> activation quantizer] per hidden layer, then a
    bias-free output Linear whose integer accumulator is the class score."""

    def __init__(
        self,
        in_features: int,
        num_classes: int,
        hidden: list[int],
        precision: Precision,
        input_bits: int = 8,
        dropout: float = 0.0,
    ):
        super().__init__()
        self.in_features = in_features
        self.precision = precision
        self.input_bits = input_bits
        layers: list[nn.Module] = []
        if precision.is_float:
            width = in_features
            for h in hidden:
                layers += [nn.Dropout(dropout), nn.Linear(width, h, bias=False)]
                layers += [nn.BatchNorm1d(h), nn.Hardtanh()]
                width = h
            layers += [nn.Linear(width, num_classes, bias=False)]
            self.features = nn.Sequential(*layers)
            return
        wq = weight_quant(precision.weight_bits)
        aq = act_quant(precision.act_bits)
        if input_bits == 1:
            layers.append(CenterInput())
            in_quant = qnn.QuantIdentity(act_quant=act_quant(1), return_quant_tensor=True)
        else:
            in_quant = qnn.QuantIdentity(
                act_quant=InputQuant, bit_width=input_bits, return_quant_tensor=True
            )
        layers.append(in_quant)
        width = in_features
        for h in hidden:
            layers.append(nn.Dropout(dropout))
            layers.append(
                qnn.QuantLinear(
                    width, h, bias=False, weight_quant=wq, weight_bit_width=precision.weight_bits
                )
            )
            layers.append(nn.BatchNorm1d(h))
            layers.append(
                qnn.QuantIdentity(
                    act_quant=aq, bit_width=precision.act_bits, return_quant_tensor=True
                )
            )
            width = h
        layers.append(
            qnn.QuantLinear(
                width,
                num_classes,
                bias=False,
                weight_quant=wq,
                weight_bit_width=precision.weight_bits,
            )
        )
        self.features = nn.Sequential(*layers)

    @property
    def input_shape(self) -> tuple[int]:
        return (self.in_features,)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.features(x.reshape(x.shape[0], -1))
        return out.value if hasattr(out, "value") else out


def build_fc(
    in_features: int,
    num_classes: int,
    precision: Precision,
    topology: str | None = "TFC",
    hidden: list[int] | None = None,
    width: float = 1.0,
    input_bits: int = 8,
    dropout: float = 0.0,
) -> FC:
    sizes = hidden_sizes(topology, hidden, width)
    return FC(in_features, num_classes, sizes, precision, input_bits=input_bits, dropout=dropout)
