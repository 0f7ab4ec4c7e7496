"""Command line: ``finnflow build CONFIG.yaml``, ``finnflow build --model M.onnx``,
``finnflow demo``, ``finnflow bitstream BUILD_DIR``, ``finnflow deploy BUILD_DIR``."""

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from finnflow.errors import FinnflowError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="finnflow", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a config (train/export/transform/estimate/verify)")
    b.add_argument("config", nargs="?", help="build config YAML (see build_configs/)")
    b.add_argument(
        "--model", help="a QONNX .onnx model exported from Brevitas, instead of training"
    )
    b.add_argument("--inputs", help="verification inputs (.npy, float, batch first)")
    b.add_argument(
        "--folding", help="maximize (default), target_fps, or a FINN-format folding config JSON"
    )
    b.add_argument("--out", help="build folder (default: build/<config name>)")
    b.add_argument(
        "--start-step",
        help="run from this step in an existing build folder (earlier steps must be complete)",
    )
    b.add_argument("--stop-step", help="stop after this step")
    b.add_argument(
        "--rtlsim",
        choices=["auto", "on", "off"],
        help="simulate the generated RTL with Verilator (default: the config's, auto)",
    )
    d = sub.add_parser("demo", help="the embedded default: TFC w2a2 on digits for Pynq-Z1, 100 MHz")
    d.add_argument("--out", default="build/demo", help="build folder (default: build/demo)")
    v = sub.add_parser("bitstream", help="Vivado bitstream of a finished build (needs Vivado)")
    v.add_argument("build_dir", help="the build folder (finnflow build ... --out BUILD_DIR)")
    v.add_argument("--jobs", type=int, help="Vivado's parallel jobs (default: all cores)")
    k = sub.add_parser("deploy", help="deployment package of a finished build for a PYNQ board")
    k.add_argument("build_dir", help="the build folder (finnflow build ... --out BUILD_DIR)")
    k.add_argument("--out", help="package folder (default: BUILD_DIR/deploy)")
    k.add_argument("--samples", type=int, default=100, help="test images in the package")
    k.add_argument("--host", help="copy the package to this board over ssh (USER@HOST)")
    k.add_argument("--remote-dir", help="folder on the board (default: finnflow/<build name>)")
    return p


def _bitstream(args) -> int:
    from finnflow.synth.vivado import make_bitstream

    report = make_bitstream(args.build_dir, args.jobs)
    acc, timing = report["accelerator"], report["timing"]
    print(
        f"bitstream: {args.build_dir}/vivado/finnflow.bit; accelerator {acc['lut']} LUT, "
        f"{acc['ff']} FF, {acc['bram18']} BRAM18, {acc['uram']} URAM, {acc['dsp']} DSP; "
        f"WNS {timing.get('wns_ns')} ns, timing met: {timing['timing_met']}"
    )
    return 0


def _deploy(args) -> int:
    from finnflow.deploy.package import copy_to_board, make_package, remote_dir_for

    pkg = make_package(args.build_dir, args.out, args.samples)
    bit = "a bitstream" if pkg.bitstream else "no bitstream (run `finnflow bitstream` first)"
    print(f"deploy: wrote {pkg.path} with {bit} and {pkg.frames} sample images")
    if args.host:
        remote = remote_dir_for(pkg, args.remote_dir)
        copy_to_board(pkg.path, args.host, remote)
        print(f"deploy: copied to {args.host}:{remote}; there run `python3 driver.py` as root")
    else:
        print(f"deploy: on a host, `python {pkg.path}/driver.py --backend rtlsim` runs it")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from finnflow.build import run_build
    from finnflow.config import DEMO, BuildConfig, load_config, validate

    try:
        if args.command in ("bitstream", "deploy"):
            return {"bitstream": _bitstream, "deploy": _deploy}[args.command](args)
        if args.command == "demo":
            cfg = DEMO
        elif args.config:
            cfg = load_config(args.config)
        elif args.model:
            cfg = BuildConfig(name=Path(args.model).stem, dataset=None)
        else:
            raise FinnflowError("give a config file or --model FILE.onnx")
        if args.command == "build":
            if args.model:
                cfg = replace(cfg, model=args.model)
            if args.inputs:
                cfg = replace(cfg, verify_inputs=args.inputs)
            if args.folding:
                cfg = replace(cfg, folding=args.folding)
            if args.rtlsim:
                cfg = replace(cfg, rtlsim={"auto": "auto", "on": True, "off": False}[args.rtlsim])
            cfg = validate(cfg)
        steps = {}
        if args.command == "build":
            steps = dict(start_step=args.start_step, stop_step=args.stop_step)
        summary = run_build(cfg, args.out, **steps)
    except FinnflowError as e:
        # one line: the first names the problem and the fix; details (a tool's log) are in files
        print(f"finnflow: error: {str(e).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    if summary.get("test_accuracy") is not None:
        print(f"test accuracy: {summary['test_accuracy']:.4f}")
    if "estimate" in summary:
        est = summary["estimate"]
        print(f"estimated FPS: {est['fps']:.0f} ({est['max_cycles']} cycles/frame)")
    if "bit_exact" in summary:
        print(f"bit-exact: {summary['bit_exact']}")
    rtlsim = summary.get("rtlsim", {})
    if "cycles_per_frame" in rtlsim:
        print(
            f"rtlsim: bit-exact {rtlsim['bit_exact']} on {rtlsim['frames']} frames, "
            f"{rtlsim['cycles_per_frame']:g} cycles/frame, {rtlsim['fps']:.0f} FPS"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
