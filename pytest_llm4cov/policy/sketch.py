"""Whole testbenches grown from the prompt's example: a teacher a small model can imitate.

The whole-module prompt shows a small correct testbench (``example.example_testbench``: clock, reset, 20
cycles of inputs drawn from a ``VALUES`` table of the constants the RTL compares them with, or random). An
untrained 0.5B copies it; trained on the reference tests (long, class-based) it learned to write them broken.
This policy writes that example with the edits a small model can learn to make to the text in front of it,
and that a 20-cycle copy misses:

- a run of hundreds or thousands of cycles instead of 20 (counters and timeouts run out);
- phases of 50 or 200 cycles in which each input keeps the rate it changes at (the example's are 50);
- a reset half way through, when registers hold values other than their reset values.

The seed picks the run length and the phase length, so best-of-k over seeds (``collect seeds``) gives
curation different candidates to choose from. It reads no feedback: each further step is another seed, so its
default budget is one step.

``example`` is whole-module mode's do-nothing control: the prompt's example as the prompt shows it, every
step. A model that only copies the example scores what it scores; a student's gain is what it adds above it.
"""

from __future__ import annotations

import random
from typing import Any, ClassVar

from pytest_llm4cov.example import example_testbench, hold_cycles
from pytest_llm4cov.policy.base import Policy, Proposal, register
from pytest_llm4cov.policy.rtl_facts import mine_facts
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for

#: Run lengths and phase lengths (cycles an input keeps its rate of change) the seed chooses among.
CYCLES = (300, 1000, 3000)
PHASES = (50, 200)


def sketch_testbench(state: State, seed: int) -> tuple[str, dict[str, Any]]:
    """The grown example for ``state``'s design, and the choices the seed made."""
    design = state.design
    facts = mine_facts(design.interface, design.rtl_text)
    rng = random.Random(seed)
    cycles, phase = rng.choice(CYCLES), rng.choice(PHASES)
    hold = hold_cycles(facts.timeouts)  # as the prompt's example has it
    source = example_testbench(design.interface, facts.order, cycles=cycles, phase=phase, reset_midway=True, hold=hold)
    inputs = [p for p in design.interface.data_inputs if p.direction == "input"]
    mined = sum(bool(facts.order.get(p.name)) for p in inputs)
    return source, {"cycles": cycles, "phase": phase, "hold": hold, "inputs_with_mined_values": mined}


@register("sketch")
class SketchPolicy(Policy):
    """The grown example as a whole testbench (whole-module mode's data, no model)."""

    name: ClassVar[str] = "sketch"
    default_iterations: ClassVar[int] = 1

    def propose(self, state: State, seed: int) -> Proposal:
        source, info = sketch_testbench(state, seed + 7919 * (state.step + 1))  # s_0 has step -1
        return Proposal(Testbench(source, module_name_for(state.design.top)), info=info)


@register("example")
class ExamplePolicy(Policy):
    """The prompt's example unchanged (whole-module mode's do-nothing control); each step is another
    simulation seed, so a budget of 4 is the best of 4 seeds, as for a model that copies it."""

    name: ClassVar[str] = "example"
    default_iterations: ClassVar[int] = 1

    def propose(self, state: State, seed: int) -> Proposal:
        from pytest_llm4cov.prompt import prompt_example

        return Proposal(Testbench(prompt_example(state.design), module_name_for(state.design.top)))
