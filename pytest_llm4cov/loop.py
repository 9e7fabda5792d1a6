"""The agent loop: propose, evaluate, keep the best state; log every transition.

LLM4Cov's formulation: memoryless transitions from the best state so far, ranked by
``observation.rank_key`` (ran clean, produced coverage, met target, score). It stops at 100%, at the
step budget, after ``patience`` steps without gain, or (optionally) once the target is met.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pytest_llm4cov.design import Design
from pytest_llm4cov.evaluator import Evaluator
from pytest_llm4cov.observation import Observation, Outcome, rank_key
from pytest_llm4cov.policy.base import Policy, Proposal
from pytest_llm4cov.runlog import RunLogWriter, RunRecord, new_run_id
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench

#: Record at most this many uncovered points per step in the run log. The trainer renders prompts from
#: the logged state, which needs every uncovered point the prompt could rank (a state with more is
#: skipped there as incomplete); real RTL with wide buses can leave thousands of toggle points.
LOGGED_UNCOVERED = 2000


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
    #: Every candidate of a best-of-k step (the chosen one included); empty when k is 1.
    candidates: tuple[Candidate, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One of the k proposals of a best-of-k step, evaluated."""

    index: int
    testbench: Testbench
    observation: Observation
    proposal: Proposal | None
    seed: int
    propose_s: float
    evaluate_s: float


def evaluate_proposal(
    evaluator: Evaluator, design: Design, testbench: Testbench, proposal: Proposal | None, seed: int
) -> Observation:
    """Evaluate a testbench; a reply the policy already rejected (``info["parse_error"]``) is not simulated.

    The rejected case still goes through the evaluator with an empty module (it builds the RTL, or finds
    it built, and stops at the syntax check), so a broken RTL is still reported as such; the observation
    carries the policy's precise reason, which the next prompt shows the model. The policy's own notes
    (``info["notes"]``: what static repair changed or found) lead the observation's notes.
    """
    info = proposal.info if proposal is not None else {}
    problem = info.get("parse_error")
    if not problem:
        obs = evaluator.evaluate(design.build, testbench, seed=seed)
    else:
        obs = evaluator.evaluate(design.build, Testbench("", testbench.module), seed=seed)
        if obs.outcome is Outcome.TESTBENCH_ERROR:
            obs = replace(obs, error=str(problem))
    notes = tuple(str(n) for n in info.get("notes", ()))
    return replace(obs, notes=notes + obs.notes) if notes else obs


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


def _record(
    run_id: str, design: Design, policy: Policy, step: Step, candidate: tuple[int, int, bool] | None = None
) -> RunRecord:
    proposal = step.proposal
    info = dict(proposal.info) if proposal else {"source": "start"}
    if proposal and proposal.raw_text:
        info["raw_text"] = proposal.raw_text
    if candidate is not None:
        info.update(candidate=candidate[0], candidates=candidate[1], chosen=candidate[2])
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
        configuration=design.configuration.to_dict() if design.configuration else None,
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
    best_of: int | None = None,
) -> LoopResult:
    """Close coverage on ``design`` with ``policy``; the reported result is the best of all steps.

    Args:
        iterations: evaluations allowed (first attempt included); default the policy's own.
        start: an existing testbench (incremental mode): evaluated first, as s_0's testbench.
        patience: stop after this many steps in a row without gain (None: never).
        stop_at_target: stop as soon as the best state meets the design's target.
        best_of: candidates per step (default: the policy's ``best_of``, else 1): each is proposed with
            its own seed and evaluated, the best by ``rank_key`` is kept, and every one is logged.
    """
    budget = iterations or policy.default_iterations
    k = max(1, best_of or getattr(policy, "best_of", 1) or 1)
    run_id = new_run_id()
    started = time.monotonic()
    best = State(design)
    result = LoopResult(design, best, run_id=run_id)
    target = design.target
    stale = 0
    for index in range(budget):
        step_seed = seed * 1000 + index
        candidates: list[Candidate] = []
        if index == 0 and start is not None:
            t0 = time.monotonic()
            obs = evaluator.evaluate(design.build, start, seed=step_seed)
            candidates.append(Candidate(0, start, obs, None, step_seed, 0.0, time.monotonic() - t0))
        else:
            for j in range(k):
                cand_seed = seed * 1000 + index * k + j  # k == 1: the step seed, as ever
                t0 = time.monotonic()
                cand = policy.propose(best, cand_seed)
                t1 = time.monotonic()
                cand_obs = evaluate_proposal(evaluator, design, cand.testbench, cand, cand_seed)
                elapsed = time.monotonic() - t1
                candidates.append(Candidate(j, cand.testbench, cand_obs, cand, cand_seed, t1 - t0, elapsed))
        chosen = max(candidates, key=lambda c: rank_key(c.observation, target))  # first of equals
        testbench, obs, proposal, step_seed = chosen.testbench, chosen.observation, chosen.proposal, chosen.seed
        before = best.score
        improved = best.observation is None or rank_key(obs, target) > rank_key(best.observation, target)
        parent = best.step if best.observation is not None else None
        if improved:
            best = State(design, testbench, obs, index)
            stale = 0
        else:
            stale += 1
        step = Step(
            index, parent, testbench, obs, proposal, step_seed, before, best.score, improved,
            sum(c.propose_s for c in candidates), sum(c.evaluate_s for c in candidates),
            tuple(candidates) if len(candidates) > 1 else (),
        )
        result.steps.append(step)
        result.best = best
        if log is not None:
            if len(candidates) == 1:
                log.append(_record(run_id, design, policy, step))
            else:
                for c in candidates:
                    logged = step if c is chosen else replace(
                        step, testbench=c.testbench, observation=c.observation, proposal=c.proposal, seed=c.seed,
                        improved=False, propose_s=c.propose_s, evaluate_s=c.evaluate_s,
                    )
                    log.append(_record(run_id, design, policy, logged, (c.index, len(candidates), c is chosen)))
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
