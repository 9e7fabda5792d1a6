"""The heart of the loop: a state is (design, current testbench, last observation).

A policy maps a state to a new testbench; the evaluator maps a testbench to an observation. Transitions
are memoryless: a policy sees one state, never a history.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_llm4cov.design import Design
from pytest_llm4cov.observation import Observation
from pytest_llm4cov.testbench import Testbench


@dataclass(frozen=True)
class State:
    """s_t: the design, the testbench x_t (None at s_0 with nothing to start from), and its observation."""

    design: Design
    testbench: Testbench | None = None
    observation: Observation | None = None
    step: int = -1  # the loop step that produced this state; -1 for s_0

    @property
    def score(self) -> float:
        if self.observation is None:
            return 0.0
        return self.observation.score or 0.0

    @property
    def is_initial(self) -> bool:
        return self.testbench is None
