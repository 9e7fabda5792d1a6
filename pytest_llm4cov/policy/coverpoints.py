"""The functional coverage points a generated testbench declares (cocotb-coverage), from interface and RTL.

- ``in_<input>``: each data input's interesting values: 0, its maximum, and the constants the RTL
  compares it with (a 1-bit input: 0 and 1);
- ``state_<reg>``: each register with a legal value set (an FSM's states, from ``invariants.py``);
- ``hs_<prefix>``: a valid/ready handshake (an output ``<prefix>valid`` and an input ``<prefix>ready``,
  or the reverse): (valid, ready) seen as (1, 0), waiting, and (1, 1), a transfer;
- ``arc_<reg>`` (the template's ARCS): each FSM arc the RTL's next-state logic writes (``arcs.py``);
- ``cross_<flag>_<request>`` (CROSSES): an output ``full``/``*_full`` against a write request (``wr_en``,
  ``push``, ``wr``, ``write``, ``*valid``), ``empty``/``*_empty`` against a read request (``rd_en``,
  ``pop``, ``rd``, ``read``): (1, 1), a request the flag should refuse, and (1, 0).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pytest_llm4cov.design import Design
from pytest_llm4cov.policy.arcs import PREFIX as ARC_PREFIX
from pytest_llm4cov.policy.arcs import Arcs
from pytest_llm4cov.policy.invariants import Invariants

MAX_BINS_PER_INPUT = 16
#: Point-name prefixes; the built-in policy aims at the missed bins of ``in_`` points.
INPUT_PREFIX = "in_"
STATE_PREFIX = "state_"


def cover_points(
    design: Design, interesting: Mapping[str, Sequence[int]], invariants: Invariants
) -> dict[str, tuple[tuple[str, ...], list]]:
    """point name -> (signals sampled, bins)."""
    points: dict[str, tuple[tuple[str, ...], list]] = {}
    for port in design.interface.data_inputs:
        top = (1 << port.width) - 1
        values = [0, top] if port.width > 1 else [0, 1]
        values += [int(v) & top for v in interesting.get(port.name, [])]
        points[f"{INPUT_PREFIX}{port.name}"] = ((port.name,), list(dict.fromkeys(values))[:MAX_BINS_PER_INPUT])
    for name, values in invariants.legal.items():
        points[f"{STATE_PREFIX}{name}"] = ((name,), list(values))
    ports = {p.name: p for p in design.interface.ports}
    for name, port in ports.items():
        m = re.fullmatch(r"(.*?)(valid|vld)", name, flags=re.I)
        if not m or port.width != 1:
            continue
        for ready in (f"{m.group(1)}ready", f"{m.group(1)}rdy"):
            other = ports.get(ready)
            if other is not None and other.width == 1 and other.direction != port.direction:
                points[f"hs_{m.group(1).rstrip('_') or name}"] = ((name, ready), [(1, 0), (1, 1)])
    return points


def arc_points(arcs: Arcs) -> dict[str, tuple[str, dict[tuple[int, int], str]]]:
    """point name -> (state register, {(from, to): bin name})."""
    return {f"{ARC_PREFIX}{reg}": (reg, dict(pairs)) for reg, pairs in arcs.items()}


#: flag -> the request names it is crossed with, in order of preference.
REQUESTS = {"full": ("wr_en", "push", "wr", "write"), "empty": ("rd_en", "pop", "rd", "read")}


def cross_points(design: Design) -> dict[str, tuple[str, str, list[tuple[int, int]]]]:
    """point name -> (flag output, request input, bins); one request per flag, the nearest by name."""
    if design.interface.clock is None:  # the flag is read as the clock edge saw it
        return {}
    ports = design.interface.ports
    outputs = {p.name for p in ports if p.direction == "output" and p.width == 1}
    inputs = [p.name for p in ports if p.direction == "input" and p.width == 1]
    points: dict[str, tuple[str, str, list[tuple[int, int]]]] = {}
    for flag in sorted(outputs):
        m = re.fullmatch(r"(.*?_?)(full|empty)", flag, flags=re.I)
        if not m:
            continue
        prefix, kind = m.group(1), m.group(2).lower()
        names = [prefix + r for r in REQUESTS[kind]] + ([*REQUESTS[kind]] if prefix else [])
        lowered = {n.lower(): n for n in inputs}
        request = next((lowered[n.lower()] for n in names if n.lower() in lowered), None)
        if request is None and kind == "full":
            valids = [n for n in inputs if n.lower().endswith("valid")]
            request = valids[0] if len(valids) == 1 else None  # only when it is unambiguous
        if request is not None:
            points[f"cross_{flag}_{request}"] = (flag, request, [(1, 1), (1, 0)])
    return points
