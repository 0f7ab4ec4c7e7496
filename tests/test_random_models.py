"""Random FC and conv networks through the whole flow: hypothesis draws the layers, weight and
activation precisions, input bits, batch-norm statistics (signs included) and a folding; the
network is exported through Brevitas and every stage (QONNX, streamlined, hardware layers,
dataflow partition) and rtlsim, with FIFOs sized from simulation, must agree bit for bit on the
integer outputs of real digits at the estimated cycles per frame. The default run tries a few
models; ``bench/random_models.py`` tries many and records them. Every failing draw found is
kept as an ``@example`` (a regression test); the first is a fixed XNOR case."""

from hypothesis import HealthCheck, example, given, reject, settings
from random_nets import RandomFC, build_random_conv, build_random_fc, random_conv, random_fc

from finnflow.errors import ConfigError

SETTINGS = settings(
    max_examples=1,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(build, case, tmp_path_factory) -> None:
    try:
        summary = build(case, tmp_path_factory.mktemp("random"))
    except ConfigError as e:
        if "does not fit" not in str(e):
            raise
        reject()  # a folding over the board's budget is refused by design, not a failure
    assert all(summary["bit_exact"].values()), (case, summary["bit_exact"])
    assert summary["rtlsim"]["bit_exact"], case
    assert summary["rtlsim"]["cycles_per_frame"] == summary["estimate"]["max_cycles"], case


@SETTINGS
@given(case=random_fc())
@example(case=RandomFC(hidden=(6,), w=1, a=1, input_bits=1, seed=7, folding=((1, 2), (2, 3))))
def test_random_fc_is_bit_exact_everywhere(case, tmp_path_factory, verilator_tool):
    _check(build_random_fc, case, tmp_path_factory)


@SETTINGS
@given(case=random_conv())
def test_random_conv_is_bit_exact_everywhere(case, tmp_path_factory, verilator_tool):
    _check(build_random_conv, case, tmp_path_factory)
