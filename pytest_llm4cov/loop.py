"""The agent loop: propose, evaluate, keep the best state; log every transition.

LLM4Cov's formulation: memoryless transitions from the best state so far, ranked by
``observation.rank_key`` (ran clean, produced coverage, met target, score). It stops at 100%, at the
step budget, after ``patience`` steps without gain, or (optionally) once the target is met.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_llm4cov.design import Design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.observation import Observation, Outcome, rank_key
from pytest_llm4cov.policy.base import Policy, Proposal
from pytest_llm4cov.runlog import RunLogWriter, RunRecord, new_run_id
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench

#: Record at most this many uncovered points per step in the run log (the full list can be thousands).
LOGGED_UNCOVERED = 100


@dataclass(frozen=True)
class Step:
    index: int
    parent_step: int | None
    testbench: Testbench
    observation: Observation
    proposal: Proposal | None
    seed: int
    best_before: float
    best_after: float
    improved: bool
    propose_s: float
    evaluate_s: float


@dataclass
class LoopResult:
    design: Design
    best: State
    steps: list[Step] = field(default_factory=list)
    stopped: str = ""
    run_id: str = ""
    wall_s: float = 0.0

    @property
    def score(self) -> float:
        return self.best.score

    @property
    def passed(self) -> bool:
        """The item's verdict: the best testbench ran clean and reached the target."""
        obs = self.best.observation
        return obs is not None and obs.passed and obs.has_coverage and self.score >= self.design.target - 1e-9

    @property
    def curve(self) -> list[float]:
        """The best state's score after each step (the coverage-over-steps curve)."""
        return [s.best_after for s in self.steps]


def _record(run_id: str, design: Design, policy: Policy, step: Step) -> RunRecord:
    proposal = step.proposal
    info = dict(proposal.info) if proposal else {"source": "start"}
    if proposal and proposal.raw_text:
        info["raw_text"] = proposal.raw_text
    return RunRecord(
        run_id=run_id,
        design=design.name,
        top=design.top,
        rtl_hash=design.build.rtl_digest(),
        policy={"name": policy.name, "settings": policy.settings()},
        seed=step.seed,
        step=step.index,
        parent_step=step.parent_step,
        testbench=step.testbench.source,
        observation=step.observation.to_dict(max_uncovered=LOGGED_UNCOVERED),
        score=step.observation.score or 0.0,
        best_before=step.best_before,
        best_after=step.best_after,
        improved=step.improved,
        timings={"propose_s": round(step.propose_s, 3), "evaluate_s": round(step.evaluate_s, 3)},
        proposal=info,
        target=design.target,
        split=design.config.split,
        time=time.time(),
    )


def run_loop(
    design: Design,
    policy: Policy,
    evaluator: Evaluator,
    *,
    iterations: int | None = None,
    seed: int = 0,
    patience: int | None = None,
    stop_at_target: bool = False,
    start: Testbench | None = None,
    log: RunLogWriter | None = None,
    on_step: Callable[[Step, State], None] | None = None,
) -> LoopResult:
    """Close coverage on ``design`` with ``policy``; the reported result is the best of all steps.

    Args:
        iterations: evaluations allowed (first attempt included); default the policy's own.
        start: an existing testbench (incremental mode): evaluated first, as s_0's testbench.
        patience: stop after this many steps in a row without gain (None: never).
        stop_at_target: stop as soon as the best state meets the design's target.
    """
    budget = iterations or policy.default_iterations
    run_id = new_run_id()
    started = time.monotonic()
    best = State(design)
    result = LoopResult(design, best, run_id=run_id)
    target = design.target
    stale = 0
    for index in range(budget):
        step_seed = seed * 1000 + index
        proposal: Proposal | None = None
        t0 = time.monotonic()
        if index == 0 and start is not None:
            testbench = start
        else:
            proposal = policy.propose(best, step_seed)
            testbench = proposal.testbench
        t1 = time.monotonic()
        obs = evaluator.evaluate(design.build, testbench, seed=step_seed)
        t2 = time.monotonic()
        before = best.score
        improved = best.observation is None or rank_key(obs, target) > rank_key(best.observation, target)
        parent = best.step if best.observation is not None else None
        if improved:
            best = State(design, testbench, obs, index)
            stale = 0
        else:
            stale += 1
        step = Step(index, parent, testbench, obs, proposal, step_seed, before, best.score, improved, t1 - t0, t2 - t1)
        result.steps.append(step)
        result.best = best
        if log is not None:
            log.append(_record(run_id, design, policy, step))
        if on_step is not None:
            on_step(step, best)
        if obs.outcome is Outcome.BUILD_FAILED:
            result.stopped = "the RTL does not build"
            break
        if best.observation is not None and best.observation.passed and best.score >= 1.0 - 1e-9:
            result.stopped = "full coverage"
            break
        if stop_at_target and result.passed:
            result.stopped = "target met"
            break
        if patience is not None and stale >= patience:
            result.stopped = f"no gain in {patience} steps"
            break
    else:
        result.stopped = "step budget spent"
    result.wall_s = time.monotonic() - started
    return result
