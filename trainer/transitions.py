"""Run-log records -> transitions (state, the step taken from it), states rebuilt, and the improvement rule.

A record is one evaluated testbench; its ``parent_step`` names the record whose (testbench, observation)
was the policy's input, so every record but a run's first is a transition from a logged state. States
are rebuilt with ``Observation.from_dict`` on the design as its folder holds it now (a record made on
other RTL is refused by its ``rtl_hash``); logged RTL paths are mapped onto the current files, so logs
made in another checkout render the same prompts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pytest_llm4cov.design import Design
from pytest_llm4cov.observation import Observation, Outcome
from pytest_llm4cov.runlog import RunRecord, read_runlog
from pytest_llm4cov.state import State
from pytest_llm4cov.testbench import Testbench, module_name_for

#: LLM4Cov's rejection filter: a transition counts as an improvement above this score gain...
MIN_GAIN = 0.01
#: ... or above this share of what the parent left uncovered (1 - score), whichever is smaller. The paper's
#: states were far from closed; ours often stand at 99.x% after the built-in scaffold, where closing the
#: last toggle bits gains less than 0.01 and is exactly what the student should learn.
MIN_GAP_SHARE = 0.25


def min_gain(parent_score: float) -> float:
    """The score gain a step from a state at ``parent_score`` must exceed to count as an improvement."""
    return min(MIN_GAIN, MIN_GAP_SHARE * max(0.0, 1.0 - parent_score))
MODEL_POLICIES = ("llama-cpp", "transformers", "openai", "scripted")


@dataclass(frozen=True)
class Transition:
    """A step from a logged state (``parent``; None for s_0, the empty state) to the record it produced."""

    parent: RunRecord | None
    child: RunRecord

    @property
    def design(self) -> str:
        return self.child.design

    @property
    def mode(self) -> str:
        """``hybrid`` when the child's policy wrote scenarios, else ``model`` (a whole testbench)."""
        return "hybrid" if self.child.policy.get("name") in ("hybrid", "control") else "model"


def read_records(paths: Iterable[str | os.PathLike[str]]) -> list[RunRecord]:
    out: list[RunRecord] = []
    for path in paths:
        out.extend(read_runlog(path))
    return out


def chosen(records: Iterable[RunRecord]) -> dict[tuple[str, int], RunRecord]:
    """The record each (run, step) kept: the chosen candidate of a best-of-k step, else the only one."""
    out: dict[tuple[str, int], RunRecord] = {}
    for r in records:
        key = (r.run_id, r.step)
        if "candidate" not in r.proposal or r.proposal.get("chosen"):
            out[key] = r
    return out


def transitions(records: Iterable[RunRecord]) -> Iterator[Transition]:
    """Every record as a transition from its parent state (candidates of best-of-k steps included)."""
    records = list(records)
    kept = chosen(records)
    for r in records:
        if r.proposal.get("source") == "start":
            continue  # an incremental start: the testbench was given, not proposed
        parent = kept.get((r.run_id, r.parent_step)) if r.parent_step is not None else None
        if r.parent_step is not None and parent is None:
            continue  # the parent's record is missing (a log cut short): no state to train from
        yield Transition(parent, r)


def rebaser(design: Design):
    """A function mapping a logged RTL path onto the design's file with the longest common path tail."""
    sources = [str(Path(s).resolve()) for s in design.interface.sources]
    tails = {s: Path(s).parts for s in sources}

    def rebase(path: str) -> str:
        if path in tails or not path:
            return path
        parts = Path(path).parts
        best, best_len = path, 0
        for source, sparts in tails.items():
            n = 0
            while n < min(len(parts), len(sparts)) and parts[-1 - n] == sparts[-1 - n]:
                n += 1
            if n > best_len:
                best, best_len = source, n
        return best

    return rebase


def observation_of(record: RunRecord, design: Design) -> Observation:
    return Observation.from_dict(record.observation, rebaser(design))


def state_of(record: RunRecord | None, design: Design) -> State:
    """The state a record stands for (its testbench and observation); s_0 for None."""
    if record is None:
        return State(design)
    tb = Testbench(record.testbench, module_name_for(design.top))
    return State(design, tb, observation_of(record, design), record.step)


def complete(record: RunRecord | None) -> bool:
    """Does the record list every uncovered point (the prompt ranks them all)?"""
    if record is None:
        return True
    obs = record.observation
    return int(obs.get("uncovered_total", 0) or 0) <= len(obs.get("uncovered") or ())


def ran_clean(record: RunRecord) -> bool:
    obs = record.observation
    return obs.get("outcome") == Outcome.PASSED.value and not record.proposal.get("parse_error")


def has_coverage(record: RunRecord) -> bool:
    return bool(record.observation.get("metrics"))


def improvement(parent: RunRecord | None, child: RunRecord) -> tuple[str, float] | None:
    """LLM4Cov's rejection filter: (kind, gain) when ``child`` is worth learning from ``parent``, else None.

    The child must run clean with coverage. From s_0 that is enough ("start": the first attempt of
    stage 0). From a failed state (not clean, or no coverage) it is a fix ("fix"). From a clean state
    the score must rise by more than ``min_gain`` (0.01, or a quarter of what was left uncovered where that
    is less) with no metric's ratio dropping ("improve").
    """
    if not ran_clean(child) or not has_coverage(child):
        return None
    gain = child.score - (parent.score if parent is not None else 0.0)
    if parent is None:
        return "start", gain
    if not ran_clean(parent) or not has_coverage(parent):
        return "fix", gain
    if gain <= min_gain(parent.score) or gain <= 1e-12:
        return None
    before = parent.observation.get("metrics") or {}
    after = child.observation.get("metrics") or {}
    for metric, summary in before.items():
        if metric not in after or after[metric]["ratio"] < summary["ratio"] - 1e-12:
            return None
    return "improve", gain


def state_key(t: Transition) -> tuple[str, str, str, str]:
    """The identity of a transition's input state: design, RTL version, mode, and the parent testbench."""
    import hashlib

    tb = t.parent.testbench if t.parent is not None else ""
    return (t.child.design, t.child.rtl_hash, t.mode, hashlib.sha256(tb.encode()).hexdigest()[:16] if tb else "s0")


def record_of(design: Design, obs: Observation, testbench: str, run_id: str, policy: str) -> RunRecord:
    """An evaluation made during curation (an expert test, a scaffold alone) in the run log's shape, so the
    curation rule applies to it unchanged."""
    from pytest_llm4cov.loop import LOGGED_UNCOVERED

    return RunRecord(
        run_id=run_id,
        design=design.name,
        top=design.top,
        rtl_hash=design.build.rtl_digest(),
        policy={"name": policy, "settings": {}},
        seed=obs.seed,
        step=0,
        parent_step=None,
        testbench=testbench,
        observation=obs.to_dict(max_uncovered=LOGGED_UNCOVERED),
        score=obs.score or 0.0,
        best_before=0.0,
        best_after=obs.score or 0.0,
        improved=True,
        timings={},
        proposal={"source": policy},
    )
