"""Port groups that match a standard interface, for the built-in policy to drive with verification IP.

Random toggling of each wire rarely forms an AXI-Stream frame (``tvalid`` held until ``tready``, ``tlast``
at its end), a complete APB transfer or a whole SPI byte under chip select; cocotbext-axi and cocotbext-apb
drive the first two the way a verification engineer does, and the template's own SPI master the third
(cocotbext-spi does not run on cocotb 2). Groups are matched by port names as those packages' bus objects find them
(``AxiStreamBus.from_prefix(dut, "s_axis")`` looks up ``s_axis_tdata``, ``s_axis_tvalid``, ...):
case-insensitive, ``prefix_signal`` or the bare signal name, with every mandatory signal present and each
signal in the direction its role needs. A near miss (no ``tdata``, a ``tready`` the wrong way) is no match,
and its ports stay with the per-wire random stimulus.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_llm4cov.interface import DesignInterface, Port

#: role -> (direction seen from the DUT for a group it receives on, mandatory)
_AXIS = {
    "tdata": ("input", True), "tvalid": ("input", True), "tready": ("output", True),
    "tlast": ("input", False), "tkeep": ("input", False), "tuser": ("input", False),
    "tid": ("input", False), "tdest": ("input", False),
}
# pslverr is left off the APB bus on purpose: cocotbext-apb raises on an error response it was not told
# to expect, and which accesses a design refuses is what the stimulus explores, not what it knows.
_APB = {
    "psel": ("input", True), "penable": ("input", True), "pwrite": ("input", True), "paddr": ("input", True),
    "pwdata": ("input", True), "prdata": ("output", True), "pready": ("output", True),
    "pstrb": ("input", False), "pprot": ("input", False),
}
#: SPI slave ports: role -> the names it goes by (after an optional prefix), first match wins. All three
#: are 1-bit DUT inputs; MISO is left alone (the master does not check what comes back). Only chip selects
#: whose name says active low are matched: a bare `cs` or `ss` says nothing of its polarity, and a slave
#: held selected while idle would get worse stimulus than per-wire values.
_SPI = {
    "sclk": ("sclk", "sck"),
    "cs": ("cs_n", "csn", "cs_b", "csb", "ss_n", "ssn", "ncs", "nss"),
    "mosi": ("mosi", "sdi", "copi"),
}
_FLIP = {"input": "output", "output": "input"}
#: The most address bits an APB group may have for the master to draw addresses over (cocotbext-apb
#: sizes nothing by it, but a 64-bit space is no range to sample).
MAX_ADDRESS_BITS = 32


@dataclass(frozen=True)
class VipGroup:
    """One interface instance: ``kind`` (axis_source: the DUT receives frames, axis_sink: it sends them,
    apb: its register port, spi: its SPI slave port), the name prefix as the RTL spells it, role -> port
    name, and the settings the testbench's traffic takes (frame lengths, data values, addresses; for spi
    also the port of each role, as the template's SPI master drives the wires itself)."""

    kind: str
    prefix: str
    ports: Mapping[str, str]
    #: The DUT inputs among ``ports``: the VIP drives them, so per-wire stimulus leaves them alone.
    driven: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)

    def as_table(self) -> tuple[str, str, dict[str, Any]]:
        return (self.kind, self.prefix, dict(self.settings))


def _lookup(ports: Mapping[str, Port], prefix: str, signal: str) -> Port | None:
    return ports.get(f"{prefix}_{signal}".lower() if prefix else signal)


def _prefixes(iface: DesignInterface, signal: str) -> list[str]:
    """Prefixes as the RTL spells them, from ports named ``<prefix>_<signal>`` or ``<signal>`` itself."""
    out = []
    for p in iface.ports:
        low = p.name.lower()
        if low == signal:
            out.append("")
        elif low.endswith("_" + signal):
            out.append(p.name[: -len(signal) - 1])
    return out


def _group(
    iface: DesignInterface, ports: Mapping[str, Port], prefix: str, spec: Mapping[str, tuple[str, bool]], flip: bool
) -> dict[str, str] | None:
    """role -> port name when every mandatory role is there in its direction (``flip``: seen from the
    other side); optional roles in the wrong direction are left out. The clock and reset belong to no bus."""
    special = {iface.clock, iface.reset.name if iface.reset else None}
    found: dict[str, str] = {}
    for role, (direction, mandatory) in spec.items():
        want = _FLIP[direction] if flip else direction
        port = _lookup(ports, prefix, role)
        if port is None or port.direction != want or port.name in special or port.elements > 1:
            if mandatory:
                return None
            continue
        found[role] = port.name
    return found


def match_groups(iface: DesignInterface) -> list[VipGroup]:
    """Every AXI-Stream port (both directions), APB slave port and SPI slave port of ``iface`` that VIP can drive.

    A design without a clock has none: the VIP is clocked. A group whose widths the VIP cannot take
    (tkeep not dividing tdata, APB data not whole bytes, a multi-bit psel) is left to per-wire stimulus.
    """
    if iface.clock is None:
        return []
    ports = {p.name.lower(): p for p in iface.ports}
    groups: list[VipGroup] = []
    taken: set[str] = set()
    for prefix in dict.fromkeys(_prefixes(iface, "tdata")):
        for kind, flip in (("axis_source", False), ("axis_sink", True)):
            found = _group(iface, ports, prefix, _AXIS, flip)
            if found is None or taken & set(found.values()):
                continue
            data = ports[found["tdata"].lower()]
            keep = ports[found["tkeep"].lower()] if "tkeep" in found else None
            if keep is not None and data.width % keep.width:
                continue
            groups.append(VipGroup(kind, prefix, found, _inputs(found, ports)))
            taken.update(found.values())
    for prefix in dict.fromkeys(_prefixes(iface, "psel")):
        found = _group(iface, ports, prefix, _APB, False)
        if found is None or taken & set(found.values()):
            continue
        data = ports[found["pwdata"].lower()]
        addr = ports[found["paddr"].lower()]
        if (ports[found["psel"].lower()].width != 1 or data.width % 8 or ports[found["prdata"].lower()].width
                != data.width or addr.width > MAX_ADDRESS_BITS):
            continue
        if "pstrb" in found and ports[found["pstrb"].lower()].width * 8 != data.width:
            del found["pstrb"]  # cocotbext-apb asserts one strobe per byte; such a pstrb stays per-wire
        groups.append(VipGroup("apb", prefix, found, _inputs(found, ports)))
        taken.update(found.values())
    # `spi_clk` with `spi_cs_n`, `spi_mosi`: the clock role is `clk` under a prefix (a bare `clk` is the clock)
    sclk_prefixes = [p for name in _SPI["sclk"] for p in _prefixes(iface, name)] + [p for p in _prefixes(iface, "clk") if p]
    for prefix in dict.fromkeys(sclk_prefixes):
        spi = _spi_group(iface, ports, prefix)
        if spi is not None and not taken & set(spi.values()):
            groups.append(VipGroup("spi", prefix, spi, tuple(spi.values())))
            taken.update(spi.values())
    return groups


def _spi_group(iface: DesignInterface, ports: Mapping[str, Port], prefix: str) -> dict[str, str] | None:
    """role -> port name of an SPI slave port (SCLK, chip select and MOSI all 1-bit inputs), else None."""
    special = {iface.clock, iface.reset.name if iface.reset else None}
    found: dict[str, str] = {}
    for role, names in _SPI.items():
        for name in names + (("clk",) if role == "sclk" and prefix else ()):
            port = _lookup(ports, prefix, name)
            if port is not None and port.direction == "input" and port.width == 1 and port.elements == 1 \
                    and port.name not in special:
                found[role] = port.name
                break
        else:
            return None
    return found


def _inputs(found: Mapping[str, str], ports: Mapping[str, Port]) -> tuple[str, ...]:
    return tuple(name for name in found.values() if ports[name.lower()].direction == "input")


def driven_inputs(groups: Sequence[VipGroup]) -> set[str]:
    return {name for g in groups for name in g.driven}


#: The longest frame a source sends (beats, or bytes with tkeep): lengths past it take too many cycles.
MAX_FRAME = 1024
#: Values per list in a group's settings (the testbench draws from them at random).
MAX_VALUES = 32


def frame_lengths(bounds: set[int]) -> list[int]:
    """One beat, a few, and each bound the RTL has (a depth, a length it compares with) with the
    lengths either side of it: a frame that just fits, and one that is one beat too long."""
    lengths = {1, 2, 3, 4, 8}
    for b in bounds:
        if 2 <= b <= MAX_FRAME:
            lengths |= {b - 1, b, b + 1}
    return sorted(lengths)


def with_settings(groups: Sequence[VipGroup], bounds: set[int], values: Mapping[str, Sequence[int]]) -> list[VipGroup]:
    """``groups`` with the settings their traffic takes: frame lengths from ``bounds`` (numbers the RTL
    compares or sizes with), data values and register addresses from ``values`` (per DUT input: what the
    RTL compares it with, uncovered points' values first)."""
    out = []
    for g in groups:
        def mined(role: str, g: VipGroup = g) -> list[int]:
            return [int(v) for v in values.get(g.ports.get(role, ""), [])][:MAX_VALUES]

        if g.kind == "axis_source":
            settings: dict[str, Any] = {"lengths": frame_lengths(bounds), "values": mined("tdata")}
        elif g.kind == "apb":
            settings = {"addresses": mined("paddr"), "values": mined("pwdata")}
        elif g.kind == "spi":
            settings = {**g.ports, "values": spi_bytes(bounds)}
        else:
            settings = {}
        out.append(VipGroup(g.kind, g.prefix, g.ports, g.driven, settings))
    return out


def spi_bytes(bounds: set[int]) -> list[int]:
    """Bytes an SPI master favours: each value below 256 the RTL compares or sizes with, and below 128 also
    with the top bit set (a read/write flag above a register address, the common command byte)."""
    values = sorted(v for v in bounds if 0 <= v < 256)
    out = [b for v in values for b in (v, v | 0x80 if v < 128 else v)]  # a value and its read command side by side
    return list(dict.fromkeys(out))[:MAX_VALUES]


def mined_values(groups: Sequence[VipGroup]) -> dict[str, list[int]]:
    """DUT input -> the values its group's traffic favours (for the functional ``in_`` points)."""
    out: dict[str, list[int]] = {}
    for g in groups:
        for role, key in (("tdata", "values"), ("paddr", "addresses"), ("pwdata", "values")):
            if role in g.ports and g.settings.get(key):
                out[g.ports[role]] = list(g.settings[key])
    return out
