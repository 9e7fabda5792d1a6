"""Worst-state-prioritized sampling picks exactly the worst, the median (when far enough above) and one failing
state."""

from __future__ import annotations

import json

import pytest

from pytest_llm4cov.runlog import RunLogWriter, RunRecord
from trainer.sample import SampleConfig, read_states, sample_states, select_states


def rec(design: str, step: int, score: float, outcome: str = "passed", run: str = "r1") -> RunRecord:
    metrics = {"line": {"covered": int(score * 100), "total": 100, "ratio": score}} if outcome == "passed" else {}
    return RunRecord(
        run_id=run,
        design=design,
        top=design,
        rtl_hash="h-" + design,
        policy={"name": "llama-cpp"},
        seed=step,
        step=step,
        parent_step=None if step == 0 else 0,
        testbench=f"# {design} {step}",
        observation={"outcome": outcome, "metrics": metrics, "uncovered": [], "uncovered_total": 0},
        score=score,
        best_before=0.0,
        best_after=score,
        improved=False,
        timings={},
        proposal={},
    )


def crafted() -> list[RunRecord]:
    return [
        # design a: clean scores 0.5, 0.9, 0.7, 0.55 -> worst 0.5; median (lower middle) 0.55, not > 0.6: dropped
        rec("a", 0, 0.5),
        rec("a", 1, 0.9),
        rec("a", 2, 0.7),
        rec("a", 3, 0.55),
        rec("a", 4, 0.0, "tests_failed"),
        rec("a", 5, 0.0, "testbench_error"),
        # design b: clean 0.2, 0.8, 0.6 -> worst 0.2, median 0.6 > 0.3: kept; no failing state
        rec("b", 0, 0.2),
        rec("b", 1, 0.8),
        rec("b", 2, 0.6),
        # design c: only failures -> just the first failing one
        rec("c", 0, 0.0, "timed_out"),
        rec("c", 1, 0.0, "crashed"),
        # design d: a tie for worst -> the earliest record
        rec("d", 0, 0.4, run="r2"),
        rec("d", 1, 0.4, run="r3"),
    ]


def test_select_states_picks_exactly_worst_median_failing():
    chosen = [(role, r.design, r.step, r.run_id) for role, r in select_states(crafted())]
    assert chosen == [
        ("worst", "a", 0, "r1"),
        ("failing", "a", 4, "r1"),
        ("worst", "b", 0, "r1"),
        ("median", "b", 2, "r1"),
        ("failing", "c", 0, "r1"),
        ("worst", "d", 0, "r2"),
    ]


def test_margin_and_failing_switch():
    chosen = select_states(crafted(), margin=0.04, failing=False)
    roles = [(role, r.design, r.step) for role, r in chosen]
    assert ("median", "a", 3) in roles  # 0.55 > 0.5 + 0.04
    assert not any(role == "failing" for role, *_ in roles)


def test_sample_stage_round_trips_records(tmp_path):
    log = tmp_path / "runlog.jsonl"
    writer = RunLogWriter(log)
    for r in crafted():
        writer.append(r)
    out = sample_states(SampleConfig(runlogs=[str(log)], out=str(tmp_path / "states.jsonl")))
    states = read_states(out)
    assert [(role, r.design, r.step) for role, r in states] == [
        (role, r.design, r.step) for role, r in select_states(crafted())
    ]
    assert states[0][1].testbench == "# a 0"
    assert json.loads((tmp_path / "states.jsonl.config.json").read_text())["stage"] == "sample"


def test_sample_rejects_bad_margin():
    with pytest.raises(ValueError, match="margin"):
        SampleConfig(margin=2.0)
