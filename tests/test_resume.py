"""Nothing lost: a run log survives kill -9 of its writer, and an interrupted run resumes from it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import ClassVar

import pytest

from conftest import DESIGNS
from pytest_llm4cov import Llm4covError
from pytest_llm4cov.coverage import CoveragePoint, CoverageReport
from pytest_llm4cov.design import load_design
from pytest_llm4cov.observation import Observation, Outcome, rank_key
from pytest_llm4cov.policy.base import Policy, Proposal
from pytest_llm4cov.resume import ranking_observation, resume_point, resume_run
from pytest_llm4cov.runlog import SCHEMA, RunLogWriter, RunRecord, read_runlog
from pytest_llm4cov.testbench import Testbench


@pytest.fixture(scope="module")
def counter4():
    return load_design(DESIGNS / "counter4")


def report(**metrics: tuple[int, int]) -> CoverageReport:
    points = []
    for metric, (covered, total) in metrics.items():
        points += [CoveragePoint("c.v", i, metric, 1 if i < covered else 0) for i in range(total)]
    return CoverageReport(tuple(points))


def observation(outcome: Outcome, **metrics: tuple[int, int]) -> Observation:
    return Observation(outcome, built=True, coverage=report(**metrics) if metrics else None)


def record(of, step: int, obs: Observation, tb: str = "", **over) -> RunRecord:
    fields = {
        "run_id": "run-a", "design": of.name, "top": of.top, "rtl_hash": of.build.rtl_digest(),
        "policy": {"name": "builtin", "settings": {}}, "seed": 7000 + step, "step": step, "parent_step": None,
        "testbench": tb or f"# testbench {step}\n", "observation": obs.to_dict(), "score": obs.score or 0.0,
        "best_before": 0.0, "best_after": 0.0, "improved": False, "timings": {}, "proposal": {},
    }
    fields.update(over)
    return RunRecord(**fields)


@pytest.mark.parametrize(
    "obs",
    [
        observation(Outcome.PASSED, line=(3, 4), branch=(1, 2), toggle=(7, 18)),
        observation(Outcome.TESTS_FAILED, line=(4, 4)),
        observation(Outcome.PASSED),
        observation(Outcome.TIMED_OUT),
        Observation(Outcome.PASSED, built=True, coverage_available=False),
    ],
)
def test_rebuilt_observation_ranks_exactly_as_the_original(obs):
    back = ranking_observation(json.loads(json.dumps(obs.to_dict())))
    for target in (0.5, 0.9, 1.0):
        assert rank_key(back, target) == rank_key(obs, target)
    assert back.score == obs.score and back.passed == obs.passed and back.has_coverage == obs.has_coverage


def test_best_state_and_steps_done(tmp_path, counter4):
    log = RunLogWriter(tmp_path / "log.jsonl")
    log.append(record(counter4, 0, observation(Outcome.TESTS_FAILED, line=(9, 10))))  # high score, failing
    log.append(record(counter4, 1, observation(Outcome.PASSED, line=(6, 10))))  # clean: ranks first
    log.append(record(counter4, 2, observation(Outcome.PASSED, line=(6, 10))))  # equal: the earlier one stays
    log.append(record(counter4, 2, observation(Outcome.CRASHED), proposal={"candidate": 1}))  # best-of-2 sibling
    log.append(record(counter4, 0, observation(Outcome.PASSED, line=(10, 10)), run_id="other-design", design="x"))
    point = resume_point(log.path, counter4)
    assert (point.run_id, point.steps_done, point.best_step, point.base_seed) == ("run-a", 3, 1, 7)
    assert point.best_testbench == Testbench("# testbench 1\n", "test_counter4")
    assert point.best_score == pytest.approx(0.6) and not point.closed


def test_the_last_run_of_the_design_is_resumed(tmp_path, counter4):
    log = RunLogWriter(tmp_path / "log.jsonl")
    log.append(record(counter4, 0, observation(Outcome.PASSED, line=(1, 2))))
    log.append(record(counter4, 0, observation(Outcome.PASSED, line=(2, 2)), run_id="run-b"))
    assert resume_point(log.path, counter4).run_id == "run-b"
    assert resume_point(log.path, counter4, "run-a").best_score == 0.5
    with pytest.raises(Llm4covError, match="no run 'run-c' of design 'counter4' \\(runs: run-a, run-b\\)"):
        resume_point(log.path, counter4, "run-c")


def test_changed_rtl_is_refused(tmp_path, counter4):
    log = RunLogWriter(tmp_path / "log.jsonl")
    log.append(record(counter4, 0, observation(Outcome.PASSED, line=(1, 2)), rtl_hash="0" * 16))
    with pytest.raises(Llm4covError, match=r"log.jsonl: run run-a was made on other RTL .* start a new run"):
        resume_point(log.path, counter4)


WRITER = textwrap.dedent(
    """
    import sys
    from pytest_llm4cov.runlog import RunLogWriter, RunRecord

    log = RunLogWriter(sys.argv[1])
    big = "# " + "x" * (1 << 20) + "\\n"  # 1 MB records: the kill lands inside a write now and then
    step = 0
    while True:
        log.append(RunRecord(
            run_id="r", design="d", top="t", rtl_hash="h", policy={}, seed=step, step=step, parent_step=None,
            testbench=big + str(step), observation={"outcome": "passed"}, score=0.0, best_before=0.0,
            best_after=0.0, improved=False, timings={}, proposal={},
        ))
        step += 1
    """
)


@pytest.mark.parametrize("attempt", range(3))
def test_run_log_survives_kill_9_of_its_writer(tmp_path, attempt):
    path = tmp_path / "log.jsonl"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    try:
        deadline = time.monotonic() + 60
        # Past 4 MB at least 3 of the ~1 MB records are complete, however the kill races the writer.
        while (not path.exists() or path.stat().st_size < (4 + attempt) * (1 << 20)) and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    records = list(read_runlog(path))
    assert len(records) >= 3
    assert [r.step for r in records] == list(range(len(records)))  # in order, none lost before the last
    assert all(r.testbench.endswith(str(r.step)) and len(r.testbench) > 1 << 20 for r in records)
    # The next writer (a resumed run) appends after a clean line end.
    RunLogWriter(path).append(records[0])
    again = list(read_runlog(path))
    assert len(again) == len(records) + 1 and path.read_bytes().endswith(b"\n")


class SequencePolicy(Policy):
    """Proposes the given testbenches in order, the last one forever."""

    name: ClassVar[str] = "sequence"

    def __init__(self, sources: list[str]) -> None:
        self.sources = sources
        self.calls: list[tuple[Testbench | None, int]] = []

    def propose(self, state, seed: int) -> Proposal:
        self.calls.append((state.testbench, seed))
        source = self.sources[min(len(self.calls) - 1, len(self.sources) - 1)]
        return Proposal(Testbench(source, "test_counter4"))


WEAK = (DESIGNS.parent / "tests" / "data" / "tb_counter4_no_enable.py").read_text()
BROKEN = "import cocotb\n@cocotb.test()\nasync def t(dut):\n    raise RuntimeError('no')\n"
REFERENCE = (DESIGNS / "counter4" / "reference" / "test_counter4.py").read_text()


@pytest.mark.simulator
def test_interrupted_run_resumes_from_its_best_testbench(tmp_path, counter4, evaluator):
    from pytest_llm4cov.loop import run_loop

    path = tmp_path / "runs" / "log.jsonl"
    # The "interrupted" run: two of its four steps done, the best a weak but clean testbench.
    first = run_loop(counter4, SequencePolicy([WEAK, BROKEN]), evaluator, iterations=2, seed=3, log=RunLogWriter(path))
    assert [s.improved for s in first.steps] == [True, False]
    with path.open("ab") as fh:
        fh.write(b'{"schema": "' + SCHEMA.encode() + b'", "run_id": "cut')  # killed mid-write of step 3
    policy = SequencePolicy([REFERENCE])
    point, result = resume_run(path, counter4, policy, evaluator, iterations=4)
    assert point.steps_done == 2 and point.best_step == 0 and point.best_testbench.source == WEAK
    assert result is not None
    # Step 0 of the continued run re-evaluates the best testbench; the policy is asked from that state.
    assert result.steps[0].testbench.source == WEAK and result.steps[0].proposal is None
    assert policy.calls[0][0].source == WEAK and policy.calls[0][1] == 4 * 1000 + 1  # seed: the run's + 1
    assert result.best.observation.passed and result.score == 1.0
    assert len(result.steps) <= 3  # two steps left of four, plus the re-evaluation
    logged = list(read_runlog(path))
    assert [r.run_id for r in logged] == [first.run_id] * 2 + [result.run_id] * len(result.steps)
    # Nothing left to do once closed, and the CLI says so.
    again, nothing = resume_run(path, counter4, policy, evaluator, iterations=10)
    assert nothing is None and again.closed
    done = subprocess.run(
        [sys.executable, "-m", "pytest_llm4cov", "resume", str(path), "--design", str(DESIGNS / "counter4")],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "nothing to resume: coverage is already closed" in done.stdout
