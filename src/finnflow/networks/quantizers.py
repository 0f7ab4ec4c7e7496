"""Brevitas quantizers, chosen by bit width (bnn_pynq style).

1-bit weights and activations are bipolar (+1/-1, exported as BipolarQuant) so that binary layers
map to XNOR-popcount hardware; wider ones are signed integers with a learned per-tensor scale. A
per-tensor weight scale keeps the last layer's argmax equal to the argmax of its integer
accumulator, which lets LabelSelect run in hardware.
"""

from brevitas.core.scaling import ScalingImplType
from brevitas.quant import (
    Int8ActPerTensorFloatMinMaxInit,
    Int8WeightPerTensorFloat,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFloat,
)


class InputQuant(Uint8ActPerTensorFloat):
    """Unsigned input quantizer for data in [0, 1] with a fixed scale of 1 / (2**bits - 1)."""

    scaling_impl_type = ScalingImplType.CONST
    scaling_const = 1.0
    min_val = 0.0
    max_val = 1.0


class HiddenActQuant(Int8ActPerTensorFloatMinMaxInit):
    """Signed activation in [-1, 1) with a learned per-tensor scale (a quantized hard-tanh)."""

    min_val = -1.0
    max_val = 1.0


def weight_quant(bits: int):
    return SignedBinaryWeightPerTensorConst if bits == 1 else Int8WeightPerTensorFloat


def act_quant(bits: int):
    return SignedBinaryActPerTensorConst if bits == 1 else HiddenActQuant
