"""Plain constrained-random stimulus: the baseline the built-in policy is measured against.

It uses the built-in policy's template and exactly the same number of simulated cycles at every step
(``simulated_cycles``: the built-in's corner, sequence, hold and reset phases count too), with every
directed feature off: uniform random values each cycle, no mined values, rules, mirrors or holds.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pytest_llm4cov.policy.base import Policy, Proposal, register
from pytest_llm4cov.policy.builtin import BuiltinPolicy, Plan, render, simulated_cycles
from pytest_llm4cov.state import State


@register("random")
class RandomPolicy(Policy):
    name: ClassVar[str] = "random"
    default_iterations: ClassVar[int] = BuiltinPolicy.default_iterations

    def __init__(self) -> None:
        self._budget = BuiltinPolicy()  # only to size each step's cycle budget exactly like the built-in

    def settings(self) -> dict[str, Any]:
        return {}

    def propose(self, state: State, seed: int) -> Proposal:
        design = state.design
        directed = self._budget.propose(state, seed)
        cycles = directed.info["cycles"]
        reset = simulated_cycles(Plan(seed=seed), design)  # the first reset, which every testbench has
        plan = Plan(seed=seed, phases=[("random", cycles - reset, 0.0)])
        refine = 0 if state.observation is None else state.step + 1
        return Proposal(render(design, plan, self.name, refine), info={"cycles": cycles})
