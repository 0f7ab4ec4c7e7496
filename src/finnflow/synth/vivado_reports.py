"""Numbers from Vivado's post-route text reports: ``report_utilization`` (LUT, FF, block RAM
tiles, URAM, DSP; 7-series "Slice" and UltraScale+ "CLB" names, with or without the
"Prohibited" column of newer versions) and ``report_timing_summary`` (its Design Timing Summary:
worst negative and hold slack, and whether every timing constraint is met)."""

import math
import re

from finnflow.errors import FinnflowError

# resource -> the "Site Type" rows that hold it, across device families
_SITES = {
    "lut": ("Slice LUTs", "CLB LUTs"),
    "ff": ("Slice Registers", "CLB Registers"),
    "bram_tiles": ("Block RAM Tile",),
    "uram": ("URAM",),
    "dsp": ("DSPs",),
}
_MET = "All user specified timing constraints are met."
_NOT_MET = "Timing constraints are not met."
_NONE = "There are no user specified timing constraints."


def parse_utilization(text: str, source: str = "the report") -> dict:
    """Used resources from a ``report_utilization`` text report: ``lut``, ``ff``, ``dsp``,
    ``uram`` (0 when the device has none), ``bram_tiles`` (RAMB36 tiles, a RAMB18 counting a
    half) and ``bram18`` (the same in RAMB18s, as the estimates count), and the tool version."""
    used: dict[str, float] = {}
    used_col = None
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "Used" in cells:  # a table's header: only "Site Type" tables are read
            used_col = cells.index("Used") if cells[0] == "Site Type" else None
            continue
        site = cells[0].rstrip("*").strip()
        for key, names in _SITES.items():
            if site in names and key not in used and used_col is not None:
                used[key] = float(cells[used_col])
    missing = [k for k in ("lut", "ff") if k not in used]
    if missing:
        raise FinnflowError(
            f"{source} is not a Vivado report_utilization text report (no rows for "
            f"{', '.join(missing)})"
        )
    tiles = used.get("bram_tiles", 0.0)
    result = {
        "lut": int(used["lut"]),
        "ff": int(used["ff"]),
        "bram_tiles": tiles,
        "bram18": int(round(2 * tiles)),
        "uram": int(used.get("uram", 0)),
        "dsp": int(used.get("dsp", 0)),
    }
    version = re.search(r"Tool Version\s*:\s*(Vivado v\.?\S+)", text)
    if version:
        result["vivado"] = version.group(1)
    return result


def parse_timing_summary(text: str, clock_mhz: float | None = None, source: str = "the report"):
    """The Design Timing Summary of a ``report_timing_summary`` text report: ``wns_ns``,
    ``tns_ns``, ``whs_ns``, ``ths_ns`` (and ``wpws_ns`` when reported), ``timing_met`` (None
    when the design has no timing constraints) and, given the clock, the highest clock the
    worst setup path allows (``fmax_mhz``)."""
    lines = text.splitlines()
    start = next((i for i, s in enumerate(lines) if "Design Timing Summary" in s), None)
    header = None
    if start is not None:
        header = next((i for i in range(start, len(lines)) if "WNS(ns)" in lines[i]), None)
    if header is None or header + 2 >= len(lines):
        raise FinnflowError(
            f"{source} is not a Vivado report_timing_summary text report (no Design Timing "
            "Summary table)"
        )
    names = re.split(r"\s{2,}", lines[header].strip())
    values = lines[header + 2].split()
    if len(values) != len(names):
        raise FinnflowError(f"{source}: the Design Timing Summary row does not match its header")
    row = dict(zip(names, values, strict=True))
    result = {
        f"{key.lower()}_ns": float(row[f"{key}(ns)"])
        for key in ("WNS", "TNS", "WHS", "THS", "WPWS")
        if f"{key}(ns)" in row
    }
    result["failing_endpoints"] = int(row.get("TNS Failing Endpoints", 0)) + int(
        row.get("THS Failing Endpoints", 0)
    )
    if _NONE in text:
        result["timing_met"] = None
    elif _MET in text or _NOT_MET in text:
        result["timing_met"] = _MET in text
    else:
        slacks = [result[k] for k in ("wns_ns", "whs_ns", "wpws_ns") if k in result]
        result["timing_met"] = all(s >= 0 for s in slacks)
    wns = result.get("wns_ns", math.inf)
    if clock_mhz and math.isfinite(wns) and 1e3 / clock_mhz - wns > 0:
        result["fmax_mhz"] = round(1e3 / (1e3 / clock_mhz - wns), 2)
    return result
