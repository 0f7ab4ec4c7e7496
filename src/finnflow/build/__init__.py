"""The build: named steps from a config to verified RTL, each writing into one build folder
(``folder``), defined in ``steps`` and run, resumed or partly run by ``run``."""

from finnflow.build.folder import BuildFolder
from finnflow.build.run import TIMING_KEYS, active_steps, run_build
from finnflow.build.steps import STEPS, Build, Step

__all__ = ["STEPS", "TIMING_KEYS", "Build", "BuildFolder", "Step", "active_steps", "run_build"]
