"""Plain constrained-random stimulus: the baseline the built-in policy is measured against.

It uses the built-in policy's template and exactly the built-in's stimulus budget at every step
(``BuiltinPolicy.budget``, a function of the design and the refinement level; ``simulated_cycles`` counts the
built-in's corner, sequence, hold and reset phases too), with every directed feature off: uniform
random values each cycle, no mined values, rules, mirrors or holds.
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
        refine = 0 if state.observation is None else state.step + 1
        cycles = self._budget.budget(design, seed, refine)
        reset = simulated_cycles(Plan(seed=seed), design)  # the first reset, which every testbench has
        plan = Plan(seed=seed, phases=[("random", cycles - reset, 0.0)])
        return Proposal(render(design, plan, self.name, refine), info={"cycles": cycles})
