"""The small correct testbench the whole-module prompt shows, and the sketch policy grows.

Small models copy the prompt's example more than they follow its instructions, so the example carries what
a copy needs to cover more than random stimulus: a ``VALUES`` table per input (the constants the RTL
compares it with, mined by ``policy.rtl_facts``, then its corners), drawn half of the time by ``pick``; in a
clocked design with a timer, four pauses of ``HOLD`` cycles in which the inputs stay as they are, long enough
for the longest timer to run out (prompt 8); and phases in which each input changes at a rate of its own, so
some stay still while others toggle (prompt 9). The prompt's example runs 20 cycles; the sketch policy
(``policy/sketch.py``) writes the same text with a longer run and a reset half way, the edits a trained
student learns to make.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping

from pytest_llm4cov.interface import DesignInterface, Port

#: Inputs listed one assignment per line; more go into a table and a loop.
EXPLICIT_INPUTS = 8
#: Values listed per input at most (mined values first, then corners).
MAX_VALUES = 8
#: The prompt's example run: short, a starting point.
EXAMPLE_CYCLES = 20
#: Cycles each input keeps the rate at which it changes: fast, slow and still inputs mix anew in every phase
#: (a chip select held while its clock toggles, a serial line held for a bit time).
EXAMPLE_PHASE = 50
#: The longest hold: timers longer than this are not waited out (each hold costs its length in cycles).
MAX_HOLD = 4096
#: Cycles a hold lasts beyond the timer's threshold (the inputs take a cycle or two to start it).
HOLD_MARGIN = 16


def hold_cycles(timeouts: Iterable[int]) -> int:
    """How long the inputs stay as they are: past the longest timer ``policy.rtl_facts.mine_facts`` found
    (thresholds counters are compared with, counter rollovers, large parameters) up to ``MAX_HOLD``; 0 with
    none. Random inputs that change every few cycles restart such timers before they run out."""
    timers = [t for t in timeouts if t <= MAX_HOLD]
    return max(timers) + HOLD_MARGIN if timers else 0


def ref(name: str) -> str:
    """``dut.name``, or ``getattr(dut, "name")`` where the port name is no Python attribute."""
    if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
        return f"dut.{name}"
    return f"getattr(dut, {name!r})"


def element_width(port: Port) -> int:
    """The bits of one element: an unpacked array's ``width`` counts all its elements together."""
    return max(1, port.width // port.elements)


def listed_values(port: Port, mined: list[int]) -> list[int]:
    """The values ``VALUES`` lists for ``port`` (per element): those the RTL names, then 0, all ones, 1 and the
    top bit."""
    width = element_width(port)
    top = (1 << width) - 1
    values = [v & top for v in mined] + [0, top, 1, 1 << (width - 1)]
    return list(dict.fromkeys(values))[:MAX_VALUES]


def _literal(value: int, width: int) -> str:
    return str(value) if width <= 4 else hex(value)


def example_testbench(
    iface: DesignInterface,
    mined: Mapping[str, list[int]] | None = None,
    *,
    cycles: int = EXAMPLE_CYCLES,
    phase: int = EXAMPLE_PHASE,
    reset_midway: bool = False,
    hold: int = 0,
) -> str:
    """A cocotb 2 test that is correct for ``iface``: clock and reset only where it has them, ``cycles`` cycles
    of inputs from ``VALUES`` (``mined``: input -> values the RTL names) or random, each input changing at a
    rate it draws from ``RATES`` every ``phase`` cycles, with ``reset_midway`` a second reset half way through,
    and with ``hold`` (a clocked design only) four stretches of ``hold`` cycles in which the inputs stay as they
    are."""
    mined = mined or {}
    clock, reset = iface.clock, iface.reset
    data = [p for p in iface.data_inputs if p.direction == "input"]
    arrays = [p for p in data if p.elements > 1]  # driven with a list, one value per element
    tabled = [p for p in data if p.elements == 1] if len(data) > EXPLICIT_INPUTS else []
    triggers = sorted({"ClockCycles", "FallingEdge", "RisingEdge"} if clock else {"Timer"})
    midway = reset_midway and reset is not None
    hold = hold if clock and cycles >= 8 else 0

    lines = ["import random", "", "import cocotb"]
    if clock:
        lines.append("from cocotb.clock import Clock")
    lines.append(f"from cocotb.triggers import {', '.join(triggers)}")
    lines += ["", "# Values the RTL compares each input with, and its corners: drawn half of the time."]
    lines.append("VALUES = {")
    for p in data:
        if element_width(p) == 1:
            continue  # 0 and 1: what random bits draw anyway
        values = listed_values(p, mined.get(p.name, []))
        lines.append(f"    {p.name!r}: [{', '.join(_literal(v, element_width(p)) for v in values)}],")
    lines.append("}")
    if tabled:
        widths = ", ".join(f"{p.name!r}: {p.width}" for p in tabled)
        lines.append(f"INPUT_WIDTHS = {{{widths}}}")
    lines.append(f"CYCLES = {cycles}")
    lines.append("RATES = (1.0, 0.3, 0.05, 0.0)  # the chance an input changes in a cycle: each draws one per phase")
    lines.append(f"PHASE = {phase}  # cycles: fast, slow and still inputs mix anew in every phase")
    if hold:
        lines.append(f"HOLD = {hold}  # cycles the inputs stay as they are, four times: timers and windows run out")
    lines += [
        "",
        "",
        "def pick(name, width):",
        '    """A value VALUES lists half of the time, a random one otherwise."""',
        "    if name in VALUES and random.random() < 0.5:",
        "        return random.choice(VALUES[name])",
        "    return random.getrandbits(width)",
    ]
    if reset:
        level = "low" if reset.active_low else "high"
        lines += ["", "", "async def reset(dut):", f'    """Hold the reset (active {level}), then release it."""']
        lines.append(f"    {ref(reset.name)}.value = {reset.asserted}")
        lines.append(f"    await ClockCycles({ref(clock)}, 3)" if clock else '    await Timer(10, unit="ns")')
        lines.append(f"    {ref(reset.name)}.value = {1 - reset.asserted}")

    def guard(first: bool, name: str) -> list[str]:
        return [] if first else [f"if random.random() < rate.setdefault({name}, random.choice(RATES)):"]

    def drive(first: bool) -> list[str]:
        out = []
        if tabled:
            value = "0" if first else "pick(name, width)"
            g = guard(first, "name")
            out = ["for name, width in INPUT_WIDTHS.items():", *(f"    {x}" for x in g),
                   f"    {'    ' * len(g)}getattr(dut, name).value = {value}"]
        for p in data:
            if p in tabled:
                continue
            value = "0" if first else f"pick({p.name!r}, {element_width(p)})"
            if p in arrays:
                value = f"[0] * {p.elements}" if first else f"[{value} for _ in range({p.elements})]"
            g = guard(first, repr(p.name))
            out += [*g, f"{'    ' * len(g)}{ref(p.name)}.value = {value}"]
        return out

    what = "Clock, reset, then" if clock and reset else "Clock, then" if clock else "Reset, then" if reset else ""
    doc = f"{what} CYCLES cycles of inputs" if what else "CYCLES rounds of inputs"
    doc += " from VALUES or random at rates from RATES"
    extras = [e for e, on in (("a reset half way", midway), ("four HOLD-cycle pauses", hold)) if on]
    doc += f", with {' and '.join(extras)}." if extras else "."
    body = [f'"""{doc}"""']
    if clock:
        body.append(f'cocotb.start_soon(Clock({ref(clock)}, 10, unit="ns").start())')
    body += drive(True)
    if reset:
        body.append("await reset(dut)")
    elif clock:
        body.append(f"await ClockCycles({ref(clock)}, 2)")
    body.append("for cycle in range(CYCLES):")
    if hold:
        body += ["    if cycle % (CYCLES // 4) == CYCLES // 8:", f"        await ClockCycles({ref(clock)}, HOLD)"]
    if clock:
        body.append(f"    await FallingEdge({ref(clock)})  # change inputs away from the active edge")
    if midway:
        body += ["    if cycle == CYCLES // 2:", "        await reset(dut)"]
    body += ["    if cycle % PHASE == 0:", "        rate = {}  # each input draws how often it changes in this phase"]
    body += ["    " + ln for ln in drive(False)]
    body.append(f"    await RisingEdge({ref(clock)})" if clock else '    await Timer(1, unit="ns")')
    out = next((p for p in iface.outputs if p.direction == "output" and p.elements == 1), None)
    if out is not None:
        body.append("    # Read outputs as integers; a real test compares them with a reference model.")
        body.append(f"    assert 0 <= int({ref(out.name)}.value) < 2**{out.width}")
    lines += ["", "", "@cocotb.test()", "async def test_values(dut):"] + ["    " + ln for ln in body]
    return "\n".join(lines) + "\n"
