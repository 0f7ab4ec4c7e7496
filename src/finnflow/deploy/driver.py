"""finnflow deployment driver: runs a finnflow accelerator and measures its throughput and
accuracy, on a PYNQ board (Zynq-7000 or Zynq UltraScale+, the accelerator behind an AXI DMA in
simple mode) or on a "virtual board", the same design simulated with Verilator on a host where
finnflow is installed.

Everything it reads lies beside it: ``accelerator.json`` (the streams, the pre- and
post-processing as a list of numpy operations, the clock), ``arrays.npz`` (the constants of that
processing), ``sample.npz`` (test inputs, their labels and the labels the build computed),
``finnflow.bit`` and ``finnflow.hwh`` for the board, ``rtl/`` for the virtual board. It needs
numpy, plus pynq on the board; nothing it loads is a pickle.

    python3 driver.py                      # on the board (as root, with PYNQ's Python)
    python3 driver.py --backend rtlsim     # on a host with finnflow and Verilator

This file is copied into every deployment package; it imports nothing from finnflow except in
the rtlsim backend, so its stream packing is the one copy of ``finnflow.streams``' format
(element 0 in the least significant bits, words padded to whole DMA words, little-endian)."""

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

FORMAT = "finnflow-deploy-1"
HERE = Path(__file__).resolve().parent


class DriverError(Exception):
    """A problem the user can fix; ``main`` prints it as one line."""


# ----------------------------------------------------------------------------- stream packing
def pack_words(values, lanes: int, bits: int, signed: bool, word_bytes: int) -> np.ndarray:
    """Integers [n, words * lanes] as bytes [n, words * word_bytes]: ``lanes`` elements of
    ``bits`` bits per word (two's complement if ``signed``), element 0 in the least significant
    bits, each word padded with zeros to ``word_bytes`` bytes and stored little-endian. A value
    out of range is an error, never truncated."""
    x = np.asarray(values)
    if x.dtype.kind not in "iu" and not np.array_equal(x, np.round(x)):
        raise DriverError("stream values must be integers")
    x = x.astype(np.int64).reshape(len(x), -1, lanes)
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if x.size and (x.min() < lo or x.max() > hi):
        kind = "signed" if signed else "unsigned"
        raise DriverError(f"stream values must lie in [{lo}, {hi}] ({bits}-bit {kind})")
    n, words = x.shape[:2]
    u = (x & ((1 << bits) - 1)).astype(np.uint64)
    planes = ((u[..., None] >> np.arange(bits, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    word_bits = np.zeros((n, words, word_bytes * 8), dtype=np.uint8)
    word_bits[..., : lanes * bits] = planes.reshape(n, words, lanes * bits)
    return np.packbits(word_bits, axis=-1, bitorder="little").reshape(n, words * word_bytes)


def unpack_words(
    data, lanes: int, bits: int, signed: bool, word_bytes: int, words: int
) -> np.ndarray:
    """Bytes [n, words * word_bytes] (or flat) back to integers [n, words * lanes]."""
    raw = np.asarray(data, dtype=np.uint8).reshape(-1, words, word_bytes)
    planes = np.unpackbits(raw, axis=-1, bitorder="little")[..., : lanes * bits]
    planes = planes.reshape(len(raw), words, lanes, bits).astype(np.int64)
    values = (planes << np.arange(bits, dtype=np.int64)).sum(axis=-1)
    if signed:
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values)
    return values.reshape(len(raw), words * lanes)


class Stream:
    """One side of the accelerator as ``accelerator.json`` describes it."""

    def __init__(self, spec: dict):
        self.lanes, self.bits, self.signed = spec["lanes"], spec["bits"], bool(spec["signed"])
        self.words, self.word_bytes = spec["words_per_frame"], spec["word_bytes"]

    @property
    def frame_bytes(self) -> int:
        return self.words * self.word_bytes

    def pack(self, values) -> np.ndarray:
        return pack_words(values, self.lanes, self.bits, self.signed, self.word_bytes)

    def unpack(self, data) -> np.ndarray:
        return unpack_words(data, self.lanes, self.bits, self.signed, self.word_bytes, self.words)


# ----------------------------------------------------------------------------- processing
def _quant(x, scale, zeropt, bitwidth, signed, narrow, mode):
    """QONNX Quant in float32, as qonnx executes it."""
    y = x / scale + zeropt
    bits = float(bitwidth)
    if bits == 1 and signed:
        y = np.where(y >= 0, np.float32(1), np.float32(-1)).astype(y.dtype)
    else:
        if signed:
            lo, hi = -(2.0 ** (bits - 1)) + narrow, 2.0 ** (bits - 1) - 1
        else:
            lo, hi = 0.0, 2.0**bits - 1 - narrow
        lo, hi = np.asarray(lo, y.dtype), np.asarray(hi, y.dtype)
        y = np.where(y > hi, hi, y)
        y = np.where(y < lo, lo, y)
        y = ROUNDING[mode.upper()](y)
    return (y - zeropt) * scale


ROUNDING = {
    "ROUND": np.round,
    "HALF_EVEN": np.round,
    "CEIL": np.ceil,
    "FLOOR": np.floor,
    "UP": lambda y: np.sign(y) * np.ceil(np.abs(y)),
    "DOWN": np.fix,
    "HALF_UP": lambda y: np.sign(y) * np.floor(np.abs(y) + np.float32(0.5)),
    "HALF_DOWN": lambda y: np.sign(y) * np.ceil(np.abs(y) - np.float32(0.5)),
}
BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}


def run_processing(ops: list, arrays: dict, x) -> np.ndarray:
    """Apply the pre- or post-processing ``ops`` (from ``accelerator.json``, their constants
    in ``arrays``) to the batch ``x``, in float32 as the build's ONNX graphs compute."""
    x = np.asarray(x, dtype=np.float32)
    for op in ops:
        kind = op["op"]
        if kind == "reshape":
            tail = [x.shape[k + 1] if s == 0 else s for k, s in enumerate(op["shape"])]
            x = x.reshape(len(x), *tail)
        elif kind == "transpose":
            x = np.transpose(x, op["perm"])
        elif kind == "quant":
            consts = (arrays[op[k]] for k in ("scale", "zeropt", "bitwidth"))
            x = _quant(x, *consts, op["signed"], op["narrow"], op["rounding_mode"])
        elif kind == "bipolar_quant":
            x = np.where(x >= 0, np.float32(1), np.float32(-1)) * arrays[op["scale"]]
        elif kind in BINARY:
            c = arrays[op["const"]]
            x = BINARY[kind](c, x) if op["const_first"] else BINARY[kind](x, c)
        elif kind == "round":
            x = np.round(x)
        elif kind == "relu":
            x = np.maximum(x, np.float32(0))
        elif kind == "argmax":
            x = np.argmax(x, axis=op["axis"])
            x = np.expand_dims(x, op["axis"]) if op["keepdims"] else x
        else:
            raise DriverError(f"unknown processing operation {kind!r}: deploy the build again")
    return x


# ----------------------------------------------------------------------------- backends
class PynqBackend:
    """The board: the overlay's AXI DMA moves the packed buffers to and from the accelerator."""

    name = "pynq"

    def __init__(self, package: Path, meta: dict, bitfile: str | None = None, download=True):
        try:
            import pynq
            from pynq.ps import Clocks
        except ImportError:
            raise DriverError(
                "pynq is not installed: run this driver on a PYNQ board (PYNQ-Z1, Ultra96, ...) "
                "with PYNQ's Python, or use --backend rtlsim on a host with finnflow"
            ) from None
        if bitfile is None and meta.get("bitfile") is None:
            raise DriverError(
                "the package holds no bitstream: build it with `finnflow bitstream BUILD_DIR` "
                "where Vivado is installed, then `finnflow deploy BUILD_DIR` again"
            )
        bit = Path(bitfile) if bitfile else package / meta["bitfile"]
        if not bit.is_file() or not bit.with_suffix(".hwh").is_file():
            raise DriverError(f"{bit} or its .hwh beside it is missing: copy the package again")
        self._allocate = pynq.allocate
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.overlay = pynq.Overlay(str(bit), download=download)
                Clocks.fclk0_mhz = meta["clock_mhz"]
        except Exception as e:  # pynq raises RuntimeError, OSError, ... off the board
            raise DriverError(
                f"cannot load the overlay {bit.name} ({type(e).__name__}: {e}): run this driver "
                "on the board, as root, with PYNQ's Python; on a host use --backend rtlsim"
            ) from None
        self.dma = getattr(self.overlay, meta["dma"]["name"], None)
        if self.dma is None:
            raise DriverError(
                f"the overlay {bit.name} has no {meta['dma']['name']}: load the bitstream that "
                "`finnflow bitstream` made for this package"
            )
        self.clock_mhz = Clocks.fclk0_mhz

    def allocate(self, nbytes: int):
        try:
            return self._allocate(shape=(nbytes,), dtype=np.uint8)
        except Exception as e:  # the contiguous memory (CMA) is exhausted
            raise DriverError(
                f"cannot allocate {nbytes} bytes of DMA memory ({e}): use a smaller --batch-size"
            ) from None

    def run(self, ibuf, obuf, frames: int) -> dict:
        """One DMA transfer each way; the receive channel is armed first."""
        start = time.perf_counter()
        self.dma.recvchannel.transfer(obuf)
        self.dma.sendchannel.transfer(ibuf)
        self.dma.sendchannel.wait()
        self.dma.recvchannel.wait()
        return {"seconds": time.perf_counter() - start}


class RtlsimBackend:
    """The virtual board: the package's RTL behind the same DMA shell, simulated by finnflow's
    Verilator harness; times are simulated cycles at the package's clock."""

    name = "rtlsim"

    def __init__(self, package: Path, meta: dict, work_dir: Path | None = None):
        try:
            from finnflow.deploy.virtual_board import VirtualBoard
            from finnflow.errors import FinnflowError
        except ImportError:
            raise DriverError(
                "the rtlsim backend needs finnflow and Verilator on this host (install finnflow "
                "from its repository); on the board use --backend pynq"
            ) from None
        self._errors = FinnflowError
        self.clock_mhz = meta["clock_mhz"]
        try:
            self.board = VirtualBoard(package / "rtl", self.clock_mhz, work_dir)
        except FinnflowError as e:
            raise DriverError(str(e).splitlines()[0]) from None

    def allocate(self, nbytes: int):
        return np.zeros(nbytes, dtype=np.uint8)

    def run(self, ibuf, obuf, frames: int) -> dict:
        try:
            return self.board.run(ibuf, obuf, frames)
        except self._errors as e:
            raise DriverError(str(e).splitlines()[0]) from None


BACKENDS = {"pynq": PynqBackend, "rtlsim": RtlsimBackend}


# ----------------------------------------------------------------------------- the accelerator
class FinnflowAccelerator:
    """A deployed finnflow accelerator, in the style of finn-examples' overlay classes:
    ``execute`` runs integer inputs through it in batches of ``batch_size``, ``classify`` adds
    the pre- and post-processing, ``throughput_test`` and ``validate`` measure it."""

    def __init__(self, package=HERE, backend: str = "pynq", batch_size: int = 1000, **options):
        self.package = Path(package)
        meta_path = self.package / "accelerator.json"
        try:
            self.meta = json.loads(meta_path.read_text())
        except (OSError, ValueError) as e:
            raise DriverError(f"cannot read {meta_path}: {e}; deploy the build again") from None
        if self.meta.get("format") != FORMAT:
            raise DriverError(f"{meta_path} is not a {FORMAT} package: deploy the build again")
        self.arrays = self._load("arrays.npz")
        self.input, self.output = Stream(self.meta["input"]), Stream(self.meta["output"])
        if backend not in BACKENDS:
            raise DriverError(f"unknown backend {backend!r}: choose one of {', '.join(BACKENDS)}")
        self.backend = BACKENDS[backend](self.package, self.meta, **options)
        self._buffers: dict[int, tuple] = {}
        self.batch_size = batch_size

    def _load(self, name: str) -> dict:
        path = self.package / name
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except (OSError, ValueError) as e:
            raise DriverError(f"cannot read {path} as numbers: {e}") from None

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @batch_size.setter
    def batch_size(self, value: int):
        limit = self.meta["dma"]["max_bytes"]
        largest = max(self.input.frame_bytes, self.output.frame_bytes)
        if not isinstance(value, int) or value < 1 or value * largest > limit:
            raise DriverError(
                f"batch size {value!r}: give 1 to {limit // largest} frames (one DMA transfer "
                f"moves at most {limit} bytes)"
            )
        self._batch_size = value
        self._buffers.clear()

    @property
    def clock_mhz(self) -> float:
        return self.backend.clock_mhz

    def buffers(self, frames: int):
        """(input, output) DMA buffers for ``frames`` frames, allocated once per size."""
        if frames not in self._buffers:
            self._buffers[frames] = (
                self.backend.allocate(frames * self.input.frame_bytes),
                self.backend.allocate(frames * self.output.frame_bytes),
            )
        return self._buffers[frames]

    def preprocess(self, x) -> np.ndarray:
        return run_processing(self.meta["preprocess"], self.arrays, x)

    def postprocess(self, y) -> np.ndarray:
        """Labels [n] from the accelerator's outputs."""
        labels = run_processing(self.meta["postprocess"], self.arrays, y)
        return np.asarray(labels).reshape(len(labels), -1)[:, 0].astype(np.int64)

    def pack_input(self, x_int) -> np.ndarray:
        return self.input.pack(x_int)

    def unpack_output(self, data) -> np.ndarray:
        """Integer outputs [n, ...] in the shape the post-processing reads."""
        out = self.output.unpack(data)
        return out.reshape(len(out), *self.meta["output_shape"])

    def copy_input_data_to_device(self, packed, ibuf) -> None:
        ibuf[:] = packed.reshape(-1)
        if hasattr(ibuf, "flush"):
            ibuf.flush()

    def copy_output_data_from_device(self, obuf) -> np.ndarray:
        if hasattr(obuf, "invalidate"):
            obuf.invalidate()
        return np.array(obuf, dtype=np.uint8)

    def execute_on_buffers(self, frames: int | None = None) -> dict:
        """Run the accelerator on the buffers of ``frames`` frames (default: a batch)."""
        frames = frames or self.batch_size
        ibuf, obuf = self.buffers(frames)
        return self.backend.run(ibuf, obuf, frames)

    def execute(self, x_int) -> np.ndarray:
        """Integer inputs [n, ...] through the accelerator, in batches; its integer outputs."""
        x_int = np.asarray(x_int)
        outs = []
        for start in range(0, len(x_int), self.batch_size):
            chunk = x_int[start : start + self.batch_size]
            ibuf, obuf = self.buffers(len(chunk))
            self.copy_input_data_to_device(self.pack_input(chunk), ibuf)
            self.execute_on_buffers(len(chunk))
            outs.append(self.unpack_output(self.copy_output_data_from_device(obuf)))
        return np.concatenate(outs)

    def classify(self, x) -> np.ndarray:
        """Labels of the raw inputs ``x`` (as the dataset gives them, batch first)."""
        return self.postprocess(self.execute(self.preprocess(x)))

    def sample(self) -> dict:
        return self._load(self.meta["sample"]["file"])

    def validate(self, x=None, y=None) -> dict:
        """Accuracy on ``x``, ``y`` (default: the package's sample), and on the sample also
        the agreement with the labels the build computed in Python."""
        expected = None
        if x is None:
            data = self.sample()
            x, y, expected = data["x"], data.get("y"), data.get("expected")
        labels = self.classify(x)
        res = {"frames": int(len(labels)), "labels": labels}
        if y is not None:
            res["correct"] = int((labels == y).sum())
            res["accuracy"] = res["correct"] / len(labels)
        if expected is not None:
            res["agree_with_build"] = int((labels == expected).sum())
        return res

    def throughput_test(self) -> dict:
        """Frames per second of one batch through the accelerator, the latency of one frame,
        and the host's packing and copying; keys as in finn-examples where they agree."""
        frames = self.batch_size
        ibuf, obuf = self.buffers(frames)
        x = self.preprocess(np.resize(self.sample()["x"], (frames, *self.meta["input_shape"])))
        timer = time.perf_counter
        t0 = timer()
        packed = self.pack_input(x)
        t1 = timer()
        self.copy_input_data_to_device(packed, ibuf)
        t2 = timer()
        run = self.execute_on_buffers(frames)
        t3 = timer()
        out = self.copy_output_data_from_device(obuf)
        t4 = timer()
        self.unpack_output(out)
        t5 = timer()
        single = self.execute_on_buffers(1)
        host = (t1 - t0) + (t2 - t1) + (t4 - t3) + (t5 - t4)
        seconds = run["seconds"]
        res = {
            "backend": self.backend.name,
            "batch_size": frames,
            "fclk[mhz]": self.clock_mhz,
            "runtime[ms]": seconds * 1e3,
            "throughput[images/s]": frames / seconds,
            "latency[ms]": single["seconds"] * 1e3,
            "DRAM_in_bandwidth[MB/s]": frames * self.input.frame_bytes / seconds * 1e-6,
            "DRAM_out_bandwidth[MB/s]": frames * self.output.frame_bytes / seconds * 1e-6,
            "pack_input[ms]": (t1 - t0) * 1e3,
            "copy_input_data_to_device[ms]": (t2 - t1) * 1e3,
            "copy_output_data_from_device[ms]": (t4 - t3) * 1e3,
            "unpack_output[ms]": (t5 - t4) * 1e3,
            "throughput_with_packing[images/s]": frames / (seconds + host),
        }
        if self.backend.name == "rtlsim":
            res["cycles"] = run["cycles"]
            res["cycles_per_frame"] = run["cycles_per_frame"]
            res["latency_cycles"] = single["cycles"]
        return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Run a finnflow accelerator: throughput, accuracy.")
    p.add_argument("--backend", choices=sorted(BACKENDS), default="pynq")
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--bitfile", help="the .bit to load (default: the package's finnflow.bit)")
    p.add_argument("--package", default=str(HERE), help="the package folder (default: here)")
    p.add_argument("--json", help="also write the results to this JSON file")
    args = p.parse_args(argv)
    options = {"bitfile": args.bitfile} if args.backend == "pynq" else {}
    try:
        acc = FinnflowAccelerator(args.package, args.backend, args.batch_size, **options)
        perf = acc.throughput_test()
        val = acc.validate()
    except DriverError as e:
        print(f"driver: error: {e}", file=sys.stderr)
        return 2
    meta = acc.meta
    print(f"{meta['name']} on {perf['backend']} ({meta['board']}, {acc.clock_mhz:g} MHz)")
    print(
        f"throughput: {perf['throughput[images/s]']:.0f} images/s (batch {perf['batch_size']}, "
        f"{perf['runtime[ms]']:.3f} ms), latency {perf['latency[ms]']:.4f} ms; with host-side "
        f"packing {perf['throughput_with_packing[images/s]']:.0f} images/s"
    )
    line = f"accuracy on {val['frames']} {meta['sample']['source']} images: "
    line += f"{val['accuracy']:.4f}" if "accuracy" in val else "no labels"
    if "agree_with_build" in val:
        line += f"; labels agree with the build's on {val['agree_with_build']}/{val['frames']}"
    print(line)
    if args.json:
        result = {"throughput": perf, **{k: v for k, v in val.items() if k != "labels"}}
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
