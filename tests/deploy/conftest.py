"""A finished FC build on digits (trained, folded, RTL generated and simulated) and its
deployment package, made once for the deployment tests."""

import json
import shutil

import pytest

from finnflow.build import run_build
from finnflow.deploy.package import make_package

SAMPLES = 100


@pytest.fixture(scope="session")
def finished_build(build_dir, quick_config, verilator_tool):
    """The build folder of a TFC-shaped w2a2 network (hidden 64-32) through rtlsim."""
    out = build_dir / "deploy-w2a2"
    run_build(quick_config("w2a2", rtlsim=True, rtlsim_frames=50), out)
    return out


@pytest.fixture(scope="session")
def package(finished_build):
    return make_package(finished_build, finished_build / "deploy", SAMPLES)


@pytest.fixture(scope="module")
def board_package(package, tmp_path_factory):
    """The package with a bitstream in place (not a real one: no board will read it)."""
    pkg = tmp_path_factory.mktemp("board") / "pkg"
    shutil.copytree(package.path, pkg)
    (pkg / "finnflow.bit").write_bytes(b"\x00\x09\x0f\xf0")
    (pkg / "finnflow.hwh").write_text("<?xml version='1.0'?><EDKSYSTEM/>")
    meta = json.loads((pkg / "accelerator.json").read_text())
    meta["bitfile"] = "finnflow.bit"
    (pkg / "accelerator.json").write_text(json.dumps(meta))
    return pkg
