"""Run-log schema: round trip, a truncated last line, wrong versions and corrupt lines."""

from __future__ import annotations

import json

import pytest

from pytest_llm4cov import Llm4covError
from pytest_llm4cov.runlog import SCHEMA, RunLogWriter, RunRecord, read_runlog


def record(step: int, **over) -> RunRecord:
    base = dict(
        run_id="r1", design="counter4", top="counter4", rtl_hash="abc", policy={"name": "builtin", "settings": {}},
        seed=step, step=step, parent_step=None if step == 0 else step - 1, testbench=f"# tb {step}\n",
        observation={"outcome": "passed", "score": 0.5}, score=0.5, best_before=0.0, best_after=0.5,
        improved=step == 0, timings={"propose_s": 0.1, "evaluate_s": 1.0}, proposal={"cycles": 10},
    )
    base.update(over)
    return RunRecord(**base)


def test_round_trip(tmp_path):
    log = RunLogWriter(tmp_path / "runs" / "log.jsonl")
    recs = [record(0), record(1, proposal={"raw_text": "```python\nx\n```"})]
    for r in recs:
        log.append(r)
    back = list(read_runlog(log.path))
    assert back == recs
    first = json.loads(log.path.read_text().splitlines()[0])
    assert first["schema"] == SCHEMA


def test_truncated_last_line_is_skipped(tmp_path):
    log = RunLogWriter(tmp_path / "log.jsonl")
    log.append(record(0))
    log.append(record(1))
    text = log.path.read_text()
    log.path.write_text(text + record(2).to_json()[:57])  # a writer killed mid-line
    assert [r.step for r in read_runlog(log.path)] == [0, 1]


def test_wrong_schema_version_is_one_clear_error(tmp_path):
    path = tmp_path / "log.jsonl"
    data = json.loads(record(0).to_json())
    data["schema"] = "llm4cov.runlog/0"
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(Llm4covError, match=r"log.jsonl:1: run-log schema 'llm4cov.runlog/0' is not"):
        list(read_runlog(path))


def test_corrupt_line_in_the_middle_is_an_error(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text(record(0).to_json() + "\n{not json\n" + record(1).to_json() + "\n")
    with pytest.raises(Llm4covError, match=r"log.jsonl:2: corrupt run-log line"):
        list(read_runlog(path))
