"""Brevitas quantizers, chosen by bit width (bnn_pynq style).

1-bit weights and activations are bipolar (+1/-1, exported as BipolarQuant) so that binary layers
map to XNOR-popcount hardware; wider ones are signed integers. Every scale is a power of two
(fixed point): the exported float32 graph then holds exactly the scales Brevitas computes with,
so Brevitas and QONNX execution agree bit for bit. A per-tensor weight scale keeps the last
layer's argmax equal to the argmax of its integer accumulator, which lets LabelSelect run in
hardware.
"""

from brevitas.core.restrict_val import RestrictValueType
from brevitas.core.scaling import ScalingImplType
from brevitas.quant import (
    Int8ActPerTensorFloatMinMaxInit,
    Int8WeightPerTensorFixedPoint,
    SignedBinaryActPerTensorConst,
    SignedBinaryWeightPerTensorConst,
    Uint8ActPerTensorFloat,
)


class InputQuant(Uint8ActPerTensorFloat):
    """Unsigned input quantizer for data in [0, 1] with the fixed scale 2**-bits."""

    scaling_impl_type = ScalingImplType.CONST
    restrict_scaling_type = RestrictValueType.POWER_OF_TWO
    scaling_const = 1.0
    min_val = 0.0
    max_val = 1.0


class HiddenActQuant(Int8ActPerTensorFloatMinMaxInit):
    """Signed activation initialized to [-1, 1) with a learned power-of-two scale (a quantized
    hard-tanh)."""

    restrict_scaling_type = RestrictValueType.POWER_OF_TWO
    min_val = -1.0
    max_val = 1.0


def weight_quant(bits: int):
    return SignedBinaryWeightPerTensorConst if bits == 1 else Int8WeightPerTensorFixedPoint


def act_quant(bits: int):
    return SignedBinaryActPerTensorConst if bits == 1 else HiddenActQuant
