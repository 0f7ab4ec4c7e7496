"""CNV, the convolutional network of Brevitas' bnn_pynq examples (FINN's CIFAR-10 network).

Six unpadded 3x3 convolutions (64, 64, 128, 128, 256, 256 channels, 2x2 max pooling after the
second and the fourth), each followed by BatchNorm and the activation quantizer, then two
fully-connected layers of 512 and the class layer: on 32x32 images the last convolution leaves
256 x 1 x 1 features. A width multiplier scales every channel count and hidden size.

Unlike bnn_pynq, the input is not mapped to 2x - 1 with a signed quantizer but quantized
unsigned with the scale 2^-8 after :class:`~finnflow.networks.conv.PixelCode`, so the integer
input is the 8-bit pixel code itself; the output layer has no TensorNorm, so its integer
accumulator is the class score (the argmax is the same).
"""

from finnflow.networks.conv import Conv, ConvNet, MaxPool, build_conv
from finnflow.networks.precision import Precision

CNV_LAYERS = (
    Conv(64),
    Conv(64),
    MaxPool(2),
    Conv(128),
    Conv(128),
    MaxPool(2),
    Conv(256),
    Conv(256),
)
CNV_HIDDEN = (512, 512)
CIFAR10_SHAPE = (3, 32, 32)


def build_cnv(
    precision: Precision,
    width: float = 1.0,
    image_shape: tuple[int, int, int] = CIFAR10_SHAPE,
    num_classes: int = 10,
    input_bits: int = 8,
) -> ConvNet:
    """CNV at ``precision`` and ``width`` (0.25: channels 16, 16, 32, 32, 64, 64; FC 128, 128)."""
    return build_conv(
        image_shape,
        num_classes,
        precision,
        list(CNV_LAYERS),
        list(CNV_HIDDEN),
        width,
        input_bits,
    )
