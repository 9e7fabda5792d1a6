"""Whole testbenches grown from the prompt's example: a teacher a small model can imitate.

The whole-module prompt shows a small correct testbench (``prompt.example_testbench``: clock, reset, 20
cycles of random inputs). An untrained 0.5B copies it; trained on the reference tests (long, class-based) it
learned to write them broken. This policy writes the example grown by three things a small model can learn
to do from the prompt in front of it, and that random stimulus misses:

- the values the RTL compares each input with (``rtl_facts.mine_facts``) and its corners, listed in ``VALUES``
  and drawn half of the time;
- a run of hundreds or thousands of cycles instead of 20 (counters and timeouts run out);
- a reset half way through, when registers hold values other than their reset values.

The seed picks the run length and how often inputs change, so best-of-k over seeds (``collect seeds``) gives
curation different candidates to choose from. It reads no feedback: each further step is another seed, so its
default budget is one step.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from pytest_llm4cov.interface import Port
from pytest_llm4cov.policy.base import Policy, Proposal, register
from pytest_llm4cov.policy.rtl_facts import mine_facts
from pytest_llm4cov.prompt import EXAMPLE_EXPLICIT_INPUTS, _ref
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for

#: Run lengths and input change rates the seed chooses among.
CYCLES = (300, 1000, 3000)
CHANGE = (1.0, 0.5, 0.2)
#: Values listed per input at most (mined values first, then corners).
MAX_VALUES = 8


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


def sketch_testbench(state: State, seed: int) -> tuple[str, dict[str, Any]]:
    """The grown example for ``state``'s design, and the choices the seed made."""
    design = state.design
    iface = design.interface
    facts = mine_facts(iface, design.rtl_text)
    rng = random.Random(seed)
    cycles, change = rng.choice(CYCLES), rng.choice(CHANGE)
    clock, reset = iface.clock, iface.reset
    data = [p for p in iface.data_inputs if p.direction == "input"]
    arrays = [p for p in data if p.elements > 1]  # driven with a list, one value per element
    table = len(data) > EXAMPLE_EXPLICIT_INPUTS
    tabled = [p for p in data if p.elements == 1] if table else []
    triggers = sorted({"ClockCycles", "FallingEdge", "RisingEdge"} if clock else {"Timer"})

    lines = ["import random", "", "import cocotb"]
    if clock:
        lines.append("from cocotb.clock import Clock")
    lines.append(f"from cocotb.triggers import {', '.join(triggers)}")
    lines += ["", "# Values the RTL compares each input with, and its corners: drawn half of the time."]
    lines.append("VALUES = {")
    for p in data:
        values = listed_values(p, facts.order.get(p.name, []))
        lines.append(f"    {p.name!r}: [{', '.join(_literal(v, element_width(p)) for v in values)}],")
    lines.append("}")
    if tabled:
        widths = ", ".join(f"{p.name!r}: {p.width}" for p in tabled)
        lines.append(f"INPUT_WIDTHS = {{{widths}}}")
    lines.append(f"CYCLES = {cycles}")
    if change < 1:
        lines.append(f"CHANGE = {change}  # the chance an input changes in a cycle: slow inputs let state build up")
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
        lines.append(f"    {_ref(reset.name)}.value = {reset.asserted}")
        lines.append(f"    await ClockCycles({_ref(clock)}, 3)" if clock else '    await Timer(10, unit="ns")')
        lines.append(f"    {_ref(reset.name)}.value = {1 - reset.asserted}")

    def drive(first: bool) -> list[str]:
        guard = [] if first or change >= 1 else ["if random.random() < CHANGE:"]
        pad = "    " * len(guard)
        out = []
        if tabled:
            value = "0" if first else "pick(name, width)"
            out = ["for name, width in INPUT_WIDTHS.items():", *(f"    {g}" for g in guard),
                   f"    {pad}getattr(dut, name).value = {value}"]
        for p in data:
            if p in tabled:
                continue
            value = "0" if first else f"pick({p.name!r}, {element_width(p)})"
            if p in arrays:
                value = f"[0] * {p.elements}" if first else f"[{value} for _ in range({p.elements})]"
            out += [*guard, f"{pad}{_ref(p.name)}.value = {value}"]
        return out

    what = "Clock, reset, then" if clock and reset else "Clock, then" if clock else "Reset, then" if reset else ""
    doc = f"{what} CYCLES cycles of inputs from VALUES or random" if what else "CYCLES rounds of inputs"
    doc += ", with a reset half way." if reset else "."
    body = [f'"""{doc}"""']
    if clock:
        body.append(f'cocotb.start_soon(Clock({_ref(clock)}, 10, unit="ns").start())')
    body += drive(True)
    if reset:
        body.append("await reset(dut)")
    elif clock:
        body.append(f"await ClockCycles({_ref(clock)}, 2)")
    body.append("for cycle in range(CYCLES):")
    if clock:
        body.append(f"    await FallingEdge({_ref(clock)})  # change inputs away from the active edge")
    if reset:
        body += ["    if cycle == CYCLES // 2:", "        await reset(dut)"]
    body += ["    " + ln for ln in drive(False)]
    body.append(f"    await RisingEdge({_ref(clock)})" if clock else '    await Timer(1, unit="ns")')
    out = next((p for p in iface.outputs if p.direction == "output" and p.elements == 1), None)
    if out is not None:
        body.append(f"    assert 0 <= int({_ref(out.name)}.value) < 2**{out.width}")
    lines += ["", "", "@cocotb.test()", "async def test_values(dut):"] + ["    " + ln for ln in body]
    mined = sum(bool(facts.order.get(p.name)) for p in data)
    return "\n".join(lines) + "\n", {"cycles": cycles, "change": change, "inputs_with_mined_values": mined}


@register("sketch")
class SketchPolicy(Policy):
    """The grown example as a whole testbench (whole-module mode's data, no model)."""

    name: ClassVar[str] = "sketch"
    default_iterations: ClassVar[int] = 1

    def propose(self, state: State, seed: int) -> Proposal:
        source, info = sketch_testbench(state, seed + 7919 * (state.step + 1))  # s_0 has step -1
        return Proposal(Testbench(source, module_name_for(state.design.top)), info=info)
