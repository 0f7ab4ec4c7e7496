"""Errors a user can act on: each names the problem and the fix."""


class FinnflowError(Exception):
    """Base of every error finnflow reports to a user; the CLI prints it without a traceback."""


class ConfigError(FinnflowError):
    """A build config or command-line value is invalid."""


class DatasetNotFoundError(FinnflowError):
    """A dataset's files are not where they were looked for."""


class UnsupportedOpError(FinnflowError):
    """The graph holds an operation the flow cannot map."""


class FoldingError(FinnflowError):
    """A folding (PE/SIMD) choice is invalid for a layer."""


class ToolNotFoundError(FinnflowError):
    """An external tool (Verilator, Yosys, Vivado) is missing."""


class SynthesisError(FinnflowError):
    """A synthesis run (Yosys) failed or its RTL folder is incomplete."""


class FifoSizingError(FinnflowError):
    """FIFO depth sizing could not make the design run at its expected cycles per frame."""
