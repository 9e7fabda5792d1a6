"""The agent loop on the real simulator with a scripted sequence of testbenches."""

from __future__ import annotations

from typing import ClassVar

import pytest

from conftest import DESIGNS, TEST_DATA
from pytest_llm4cov.design import load_design
from pytest_llm4cov.loop import run_loop
from pytest_llm4cov.policy.base import Policy, Proposal
from pytest_llm4cov.runlog import RunLogWriter, read_runlog
from pytest_llm4cov.testbench import Testbench

pytestmark = pytest.mark.simulator

BROKEN = "import cocotb\n@cocotb.test()\nasync def t(dut):\n    raise RuntimeError('not yet')\n"
WEAK = (TEST_DATA / "tb_counter4_no_enable.py").read_text()
GOOD = (DESIGNS / "counter4" / "reference" / "test_counter4.py").read_text()


class Replay(Policy):
    """Returns the given testbenches in order and remembers which states it was shown."""

    name: ClassVar[str] = "replay"

    def __init__(self, *sources: str) -> None:
        self.sources = list(sources)
        self.seen: list[tuple[int, float]] = []

    def propose(self, state, seed):
        self.seen.append((state.step, state.score))
        return Proposal(Testbench(self.sources.pop(0), "test_replay"), info={"n": len(self.seen)})


def test_best_state_kept_and_memoryless_input(evaluator, tmp_path):
    design = load_design(DESIGNS / "counter4")
    policy = Replay(WEAK, BROKEN, GOOD, WEAK)
    log = RunLogWriter(tmp_path / "log.jsonl")
    result = run_loop(design, policy, evaluator, iterations=4, seed=5, log=log)
    assert [s.observation.outcome.value for s in result.steps] == ["passed", "tests_failed", "passed"]
    assert result.stopped == "full coverage"  # stops at 100%, the fourth testbench is never asked for
    assert result.best.step == 2 and result.score == 1.0 and result.passed
    # the policy always saw the best state so far, never the broken one
    assert policy.seen == [(-1, 0.0), (0, pytest.approx(0.5333, abs=1e-3)), (0, pytest.approx(0.5333, abs=1e-3))]
    assert result.curve == [pytest.approx(0.5333, abs=1e-3)] * 2 + [1.0]
    records = list(read_runlog(log.path))
    assert [r.step for r in records] == [0, 1, 2]
    assert [r.parent_step for r in records] == [None, 0, 0]
    assert records[1].observation["outcome"] == "tests_failed" and not records[1].improved
    assert records[2].testbench == GOOD and records[2].best_after == 1.0
    assert records[0].seed != records[1].seed


def test_patience_and_target_stop(evaluator):
    design = load_design(DESIGNS / "counter4")
    result = run_loop(design, Replay(WEAK, WEAK, WEAK, WEAK), evaluator, iterations=4, patience=2)
    assert len(result.steps) == 3 and result.stopped == "no gain in 2 steps"
    assert not result.passed
