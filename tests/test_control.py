"""The do-nothing control of the model benchmark runs as code: `benchmarks/models.py --configs control`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.simulator, pytest.mark.slow]  # a benchmark run: ~20 s alone, a minute under load


def test_the_control_configuration_runs_the_harness_with_an_idle_scenario(build_cache, tmp_path):
    out = tmp_path / "models"
    done = subprocess.run(
        [sys.executable, "benchmarks/models.py", "--configs", "control", "--designs", "regblock",
         "--iterations", "2", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "LLM4COV_CACHE_DIR": str(build_cache), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (item,) = json.loads((out / "control.json").read_text())["items"]
    # regblock does not close at step 1, so step 2 asked the (scripted) model: its idle scenario ran clean
    assert item["steps"] == 2 and item["model_steps"] == 1 and item["clean_after"] == 1
    assert item["curve"][1] >= item["curve"][0]
    log = [json.loads(line) for line in (out / "runs" / "control.jsonl").read_text().splitlines()]
    from pytest_llm4cov.policy.hybrid import CONTROL_REPLY

    assert "async def scenario_idle(tb, dut):" in log[1]["testbench"] and "await tb.step(1)" in CONTROL_REPLY
    assert "control" in done.stdout.splitlines()[-1] or any(ln.startswith("control ") for ln in done.stdout.splitlines())
