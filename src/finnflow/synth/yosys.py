"""Measured resources of the generated RTL: Yosys ``synth_xilinx`` on an RTL folder written by
:func:`finnflow.rtl.generate_rtl`, its ``stat`` counts turned into the numbers Vivado reports
(CLB LUTs as logic and as memory, registers, carry chains, BRAM18 equivalents, URAM, DSP).

Yosys runs quietly with the folder as working directory (memory files are named relative to
it). Its script, log and ``stat -json`` output are kept for inspection in a ``synth/`` folder
beside the RTL folder, named ``<rtl folder>-<family>[-dsp]``: ``build/x/rtl`` is synthesized
with ``build/x/synth/rtl-xc7.log``. Results are cached by content (Yosys version, script, every
source and memory file) as JSON in ``$FINNFLOW_SYNTH_CACHE`` or ``~/.cache/finnflow/synth``, so
unchanged RTL is never synthesized twice; a cache hit runs and writes nothing.

Yosys 0.23 (:data:`YOSYS_PINNED`) is the version whose numbers the project reports; another
version runs too, and each result names the one that ran. Yosys 0.23 builds adders from CARRY4
for every family (Vivado retargets them to CARRY8 on UltraScale+), so ``carry`` counts both.
"""

import hashlib
import json
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from qonnx.core.modelwrapper import ModelWrapper

from finnflow.errors import ConfigError, SynthesisError
from finnflow.files import cache_dir, write_atomic
from finnflow.rtl import StitchedDesign, generate_rtl
from finnflow.rtl.generate import DESIGN_FILE
from finnflow.tools import find_yosys, yosys_version
from finnflow.transforms.partition import subgraph

YOSYS_PINNED = "0.23"
FAMILIES = ("xc7", "xcu", "xcup")
_CACHE_FORMAT = "finnflow-synth-4"  # bump when the script or the cached fields change
_LOG_TAIL_LINES = 25

# Primitive -> LUTs it occupies, for every LUT, LUT-ROM, LUT-RAM and shift-register primitive
# of Yosys' Xilinx cell library (techlibs/xilinx/cells_sim.v). INV is not among them: Yosys
# leaves one INV per inverted cell input (a register's reset, a LUT RAM's write enable), where
# Vivado absorbs the inversion into the driving LUT or shares one; INVs are counted apart.
_LUT_LOGIC = {
    **{f"LUT{k}": 1 for k in range(1, 7)},
    "LUT6_2": 1,
    "ROM16X1": 1,
    "ROM32X1": 1,
    "ROM64X1": 1,
    "ROM128X1": 2,
    "ROM256X1": 4,
}
_LUT_MEMORY = {
    **dict.fromkeys(("RAM16X1S", "RAM16X1S_1", "RAM32X1S", "RAM32X1S_1"), 1),
    **dict.fromkeys(("RAM64X1S", "RAM64X1S_1"), 1),
    **dict.fromkeys(("RAM128X1S", "RAM128X1S_1"), 2),
    "RAM256X1S": 4,
    "RAM512X1S": 8,
    **dict.fromkeys(("RAM16X2S", "RAM32X2S", "RAM64X2S"), 2),
    **dict.fromkeys(("RAM16X4S", "RAM32X4S"), 4),
    **dict.fromkeys(("RAM16X8S", "RAM32X8S"), 8),
    **dict.fromkeys(("RAM16X1D", "RAM16X1D_1", "RAM32X1D", "RAM32X1D_1"), 2),
    **dict.fromkeys(("RAM64X1D", "RAM64X1D_1"), 2),
    "RAM128X1D": 4,
    "RAM256X1D": 8,
    "RAM32M": 4,
    "RAM64M": 4,
    "RAM32M16": 8,
    "RAM64M8": 8,
    "RAM64X8SW": 8,
    "RAM32X16DR8": 8,
    **dict.fromkeys(("SRL16", "SRL16E", "SRLC16", "SRLC16E", "SRLC32E"), 1),
}
_FF = {
    *(
        f"{ff}{inv}"
        for ff in ("FDRE", "FDSE", "FDCE", "FDPE", "FDRSE", "FDCPE")
        for inv in ("", "_1")
    ),
    "LDCE",
    "LDPE",
    "LDCPE",
}
_CARRY = {"CARRY4", "CARRY8"}
# Cells that end a combinational path: registers, block and ultra RAM, DSPs, shift registers,
# clock and I/O buffers. Deleted after counting, they leave the register-to-register logic (LUTs,
# LUT RAM reads, carry chains, wide muxes), whose longest path ``ltp`` measures in primitives: a
# bound on the LUT levels, as a carry chain counts once per CARRY4.
_PATH_ENDS = ("t:FD*", "t:LD*", "t:RAMB*", "t:URAM*", "t:DSP*", "t:SRL*", "t:*BUF*")
# A LUT6_2 split into its two functions for ``ltp``, each with only the inputs it depends on
_LUT6_2_PATHS = Path(__file__).parent / "lut6_2_paths.v"
_BRAM18 = {"RAMB18E1": 1, "RAMB18E2": 1, "RAMB36E1": 2, "RAMB36E2": 2}
_URAM = {"URAM288", "URAM288_BASE"}
_DSP = {"DSP48E1", "DSP48E2"}

# part-name prefix -> Yosys family: 7 series; UltraScale+ (Zynq MPSoC/RFSoC, Kria, Alveo, the
# *p Artix/Kintex/Virtex parts); UltraScale
_PART_FAMILIES = (
    (re.compile(r"xc7[aksvz]"), "xc7"),
    (re.compile(r"xczu|xck2\d|xcu\d|xc(au|ku|vu)\d+p"), "xcup"),
    (re.compile(r"xc(ku|vu)\d"), "xcu"),
)


@dataclass
class SynthResult:
    """Primitive counts of one synthesized design and the resources they make up."""

    family: str
    top: str
    cells: dict[str, int]
    lut: int  # logic + memory: Vivado's "CLB LUTs"
    lut_logic: int
    lut_memory: int  # LUT RAMs and shift registers, in LUTs
    inverters: int  # INV cells, not counted as LUTs (see _LUT_LOGIC)
    ff: int
    carry: int
    bram18: int  # RAMB18 + 2 x RAMB36
    uram: int
    dsp: int
    depth: int  # logic depth: primitives on the longest register-to-register path
    seconds: float  # Yosys wall time of the run that produced the counts
    yosys: str
    cached: bool = False

    @classmethod
    def from_cells(cls, cells: dict[str, int], **kw) -> "SynthResult":
        """A result whose resources are counted from the primitive counts ``cells``."""
        lut_logic = sum(_LUT_LOGIC.get(t, 0) * n for t, n in cells.items())
        lut_memory = sum(_LUT_MEMORY.get(t, 0) * n for t, n in cells.items())
        return cls(
            cells=dict(sorted(cells.items())),
            lut=lut_logic + lut_memory,
            lut_logic=lut_logic,
            lut_memory=lut_memory,
            inverters=cells.get("INV", 0),
            ff=sum(n for t, n in cells.items() if t in _FF),
            carry=sum(n for t, n in cells.items() if t in _CARRY),
            bram18=sum(_BRAM18.get(t, 0) * n for t, n in cells.items()),
            uram=sum(n for t, n in cells.items() if t in _URAM),
            dsp=sum(n for t, n in cells.items() if t in _DSP),
            **kw,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def family_for(board) -> str:
    """The Yosys ``synth_xilinx -family`` of a board (a :class:`finnflow.boards.Board`) or of a
    part name, from the part name: ``xc7z020clg400-1`` -> ``xc7``, ``xczu3eg-sbva484-1-e`` ->
    ``xcup``, so a board added with its part needs no entry here."""
    part = str(getattr(board, "part", board)).lower()
    for pattern, family in _PART_FAMILIES:
        if pattern.match(part):
            return family
    name = getattr(board, "name", part)
    raise ConfigError(
        f"board {name!r}: part {part!r} is not a 7-series, UltraScale or UltraScale+ part, the "
        "families Yosys synth_xilinx maps to; give the board such a part"
    )


def parse_stat(text: str) -> dict[str, int]:
    """Primitive counts of the whole design from Yosys ``stat`` output: the JSON of ``stat
    -json`` or the table of plain ``stat`` (its last cell list, the design totals)."""
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if "design" in data:
            return dict(data["design"]["num_cells_by_type"])
        cells: dict[str, int] = {}
        for module in data["modules"].values():
            for t, n in module["num_cells_by_type"].items():
                cells[t] = cells.get(t, 0) + n
        return cells
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if re.match(r"\s+Number of cells:\s+\d+\s*$", line)]
    if not starts:
        raise SynthesisError("no cell list in the Yosys statistics: was `stat` run?")
    cells = {}
    for line in lines[starts[-1] + 1 :]:
        m = re.match(r"\s+(\S+)\s+(\d+)\s*$", line)
        if not m:
            break
        cells[m[1]] = int(m[2])
    return cells


def parse_ltp(text: str) -> int:
    """The length of the longest path from Yosys ``ltp`` output (0 for a design without logic)."""
    m = re.search(r"Longest topological path in \S+ \(length=(-?\d+)\)", text)
    if not m:
        raise SynthesisError("no longest path in the Yosys ltp output: was `ltp` run?")
    return max(0, int(m[1]))


def default_cache_dir() -> Path:
    return cache_dir("synth", "FINNFLOW_SYNTH_CACHE")


def synthesize(
    rtl_dir: Path, family: str, *, nodsp: bool = True, cache_dir: Path | None = None
) -> SynthResult:
    """Synthesize the RTL folder ``rtl_dir`` (from :func:`finnflow.rtl.generate_rtl`) with
    ``synth_xilinx -family <family> -flatten`` and count its resources. ``nodsp`` keeps
    multipliers in LUTs, as the RTL's LUT datapath intends; results are cached by content in
    ``cache_dir`` (default :func:`default_cache_dir`)."""
    if family not in FAMILIES:
        raise ConfigError(f"family {family!r}: use one of {', '.join(FAMILIES)} (see family_for)")
    rtl_dir = Path(rtl_dir).resolve()
    design = load_design(rtl_dir)
    exe = find_yosys()
    version = yosys_version()
    script = _script(design, family, nodsp)
    key = _cache_key(version, script, rtl_dir, design)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    entry = cache / f"{key}.json"
    with _key_lock(key):
        hit = _load_entry(entry)
        if hit is not None:
            return hit
        cache.mkdir(parents=True, exist_ok=True)
        result = _run(exe, version, rtl_dir, design, script, family, nodsp)
        write_atomic(entry, json.dumps(result.to_dict(), indent=1) + "\n")
    return result


def synthesize_node(model: ModelWrapper, node, family: str, work_dir: Path, **kw) -> SynthResult:
    """Synthesize one hardware node of ``model`` on its own: the RTL of a graph holding only that
    node goes to ``work_dir/<node name>``, its log to ``work_dir/synth``. ``node`` is the node or
    its name; ``kw`` as for :func:`synthesize`."""
    if isinstance(node, str):
        found = model.get_node_from_name(node)
        if found is None:
            raise ConfigError(f"no node named {node!r} in the graph")
        node = found
    alone = subgraph(model, [node.input[0]], [node.output[0]], node.name)
    design = generate_rtl(alone, Path(work_dir) / node.name)
    return synthesize(design.directory, family, **kw)


def synthesize_many(calls: list[Callable[[], SynthResult]], workers: int = 2) -> list[SynthResult]:
    """Run the synthesis ``calls`` (e.g. ``functools.partial(synthesize, d, "xc7")``) on
    ``workers`` threads, each waiting on its own Yosys process; results in the order of
    ``calls``. The first failure is raised once the runs already started have ended."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(call) for call in calls]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def load_design(rtl_dir: Path) -> StitchedDesign:
    """The generated design of ``rtl_dir``, its ``design.json`` readable and its sources all
    present, else a SynthesisError naming the fix."""
    if not (rtl_dir / DESIGN_FILE).is_file():
        raise SynthesisError(
            f"{rtl_dir} holds no {DESIGN_FILE}: synthesize a folder written by "
            "finnflow.rtl.generate_rtl (the build's rtlgen step)"
        )
    try:
        design = StitchedDesign.load(rtl_dir)
    except (ValueError, TypeError, KeyError) as exc:
        raise SynthesisError(
            f"{rtl_dir / DESIGN_FILE} is unreadable ({exc}): generate the RTL folder again"
        ) from exc
    missing = [s for s in design.sources if not (rtl_dir / s).is_file()]
    if missing:
        raise SynthesisError(
            f"{rtl_dir}: sources named in {DESIGN_FILE} are missing ({', '.join(missing)}): "
            "generate the RTL folder again"
        )
    return design


def _script(design: StitchedDesign, family: str, nodsp: bool) -> str:
    """``synth_xilinx -flatten``, with every wire the flattening leaves behind given a private
    name before the rest of the run. The flattened instance ports (tens of thousands in a
    popcount-heavy design, three per LUT6_2 wrapper) would otherwise stay public wires, visited
    by each of the two dozen ``opt_clean`` passes (1.5x the run time on TFC w2a2). Names steer
    ABC's LUT mapping, so LUT counts differ by a few percent from a run without the renaming;
    the resource model is calibrated with this script."""
    synth = f"synth_xilinx -family {family} -top {design.top} -flatten" + (
        " -nodsp" if nodsp else ""
    )
    return (
        f"read_verilog -sv {' '.join(design.sources)}\n"
        f"{synth} -run begin:prepare\nproc\nflatten\nrename -hide w:*\n{synth} -run prepare:\n"
    )


def _cache_key(version: str, script: str, rtl_dir: Path, design: StitchedDesign) -> str:
    """sha256 over the Yosys version, the script and the name and content of every source and
    memory file: what the counts depend on."""
    key = hashlib.sha256()
    for part in (_CACHE_FORMAT, version, script):
        key.update(part.encode() + b"\0")
    names = [*design.sources, *sorted(p.name for p in rtl_dir.glob("*.mem"))]
    for name in names:
        key.update(name.encode() + b"\0")
        key.update(hashlib.sha256((rtl_dir / name).read_bytes()).digest())
    return key.hexdigest()


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _key_lock(key: str) -> threading.Lock:
    """One lock per cache key: a second thread on the same design waits for the first's entry."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _load_entry(entry: Path) -> SynthResult | None:
    """The cached result (counted again from its cells), or None if absent or unreadable."""
    try:
        data = json.loads(entry.read_text())
        return SynthResult.from_cells(
            {str(t): int(n) for t, n in data["cells"].items()},
            family=data["family"],
            top=data["top"],
            depth=int(data["depth"]),
            seconds=float(data["seconds"]),
            yosys=data["yosys"],
            cached=True,
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _run(
    exe: str,
    version: str,
    rtl_dir: Path,
    design: StitchedDesign,
    script: str,
    family: str,
    nodsp: bool,
) -> SynthResult:
    work = rtl_dir.parent / "synth"
    work.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]", "_", rtl_dir.name) + f"-{family}" + ("" if nodsp else "-dsp")
    ys, log, stat, ltp = (
        work / f"{stem}{ext}" for ext in (".ys", ".log", ".stat.json", ".ltp.txt")
    )
    stat.unlink(missing_ok=True)
    ltp.unlink(missing_ok=True)
    # the paths are relative to the working directory: Yosys takes no quoted file names
    ys.write_text(
        f"{script}tee -q -o {os.path.relpath(stat, rtl_dir)} stat -json\n"
        f"delete {' '.join(_PATH_ENDS)}\n"
        f"techmap -map {os.path.relpath(_LUT6_2_PATHS, rtl_dir)} t:LUT6_2\nopt_lut\n"
        f"tee -q -o {os.path.relpath(ltp, rtl_dir)} ltp\n"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [exe, "-q", "-l", str(log), "-s", str(ys)],
        cwd=rtl_dir,
        capture_output=True,
        text=True,
    )
    seconds = round(time.perf_counter() - start, 3)
    if proc.returncode != 0 or not stat.is_file() or not ltp.is_file():
        text = log.read_text(errors="replace") if log.is_file() else ""
        lines = (text or proc.stdout + proc.stderr).strip().splitlines()
        errors = [line.strip() for line in lines if "ERROR" in line]
        cause = f": {errors[-1]}" if errors else f" (exit {proc.returncode})"
        tail = "\n".join(lines[-_LOG_TAIL_LINES:])
        raise SynthesisError(
            f"Yosys synth_xilinx -family {family} of {design.top} in {rtl_dir} failed{cause} "
            f"(log: {log})\nThe end of the log:\n{tail}"
        )
    return SynthResult.from_cells(
        parse_stat(stat.read_text()),
        family=family,
        top=design.top,
        depth=parse_ltp(ltp.read_text()),
        seconds=seconds,
        yosys=version,
    )
