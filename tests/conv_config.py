"""The small convolutional builds on digits that the transform and rtlsim tests share: padded
and strided, or unpadded where bipolar activations cannot pad."""

from finnflow.config import BuildConfig, TrainConfig, validate

LAYERS = [{"conv": 8, "padding": 1}, {"conv": 16, "stride": 2, "padding": 1}, {"maxpool": 2}]
UNPADDED = [{"conv": 8}, {"conv": 16}, {"maxpool": 2}]


def conv_config(precision: str, input_bits: int, layers, **kw) -> BuildConfig:
    """A conv network (``layers``, then FC 16) trained 3 epochs on digits, verified on 300
    test images, without rtlsim unless asked."""
    return validate(
        BuildConfig(
            name=f"conv-{precision}-i{input_bits}",
            network="conv",
            layers=layers,
            hidden=[16],
            precision=precision,
            input_bits=input_bits,
            dataset="digits",
            train=TrainConfig(epochs=3),
            verify_samples=300,
            rtlsim=kw.pop("rtlsim", False),
            **kw,
        )
    )
