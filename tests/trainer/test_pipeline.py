"""The whole recipe on the tiny model, as CI runs it: ``python -m trainer run trainer/configs/tiny.toml``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT
from pytest_llm4cov.runlog import read_runlog
from trainer.examples import read_examples


@pytest.mark.slow
@pytest.mark.simulator
def test_tiny_pipeline_end_to_end(simulator, tiny_gguf, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "trainer", "run", "trainer/configs/tiny.toml", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # stage 0: the teacher's runs and the curated examples (teacher and expert)
    assert list(read_runlog(tmp_path / "collect" / "runlog.jsonl"))
    stage0 = list(read_examples(tmp_path / "curate" / "examples.jsonl"))
    assert {e.source.split(":")[0] for e in stage0} == {"teacher", "expert"}
    losses = json.loads((tmp_path / "train" / "train.json").read_text())["losses"]
    assert len(losses) == 3
    assert (tmp_path / "export" / "adapter.gguf").read_bytes()[:4] == b"GGUF"
    # the stage-0 student ran with its adapter; its states were sampled and refined by the teacher
    student = list(read_runlog(tmp_path / "student" / "runlog.jsonl"))
    assert student and all(r.policy["settings"]["adapter"].endswith("export/adapter.gguf") for r in student)
    states = (tmp_path / "sample" / "states.jsonl").read_text().splitlines()
    assert states
    assert list(read_runlog(tmp_path / "synthesize" / "runlog.jsonl"))
    stage1 = list(read_examples(tmp_path / "curate1" / "examples.jsonl"))
    assert stage1 and all(e.kind in ("fix", "improve") for e in stage1)
    train1 = json.loads((tmp_path / "train1" / "train.json").read_text())
    assert train1["config"]["init_adapter"].endswith("train/adapter")
    # the side-by-side evaluation has every row, and the model rows called the model
    report = json.loads((tmp_path / "evaluate" / "report.json").read_text())
    assert set(report["rows"]) == {"builtin", "control", "base-hybrid", "trained-hybrid"}
    assert report["rows"]["trained-hybrid"]["totals"]["model_steps"] >= 1
    runs = list(read_runlog(tmp_path / "evaluate" / "runs" / "trained-hybrid.jsonl"))
    assert any(r.policy["settings"].get("adapter", "").endswith("export1/adapter.gguf") for r in runs)
