import pytest

from finnflow.errors import ConfigError
from finnflow.networks import Precision, parse_precision


@pytest.mark.parametrize(
    "spec, expected",
    [("w2a2", Precision(2, 2)), ("W4A8", Precision(4, 8)), ("w1a3", Precision(1, 3))],
)
def test_parse_precision(spec, expected):
    assert parse_precision(spec) == expected


def test_float32_is_unquantized():
    p = parse_precision("float32")
    assert p.is_float and str(p) == "float32"


@pytest.mark.parametrize("spec", ["w5a2", "w2", "int8", "w16a16", ""])
def test_unknown_precision_names_the_fix(spec):
    with pytest.raises(ConfigError, match=r"unknown precision .*wXaY.*float32"):
        parse_precision(spec)
