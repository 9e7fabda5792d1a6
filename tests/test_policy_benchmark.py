"""benchmarks/policy.py: a tuning benchmark (train split by default) that reports both stimulus budgets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import DESIGNS, ROOT

pytestmark = pytest.mark.simulator


def test_runs_the_train_split_by_default_and_reports_equal_budgets(build_cache, tmp_path):
    designs = tmp_path / "designs"
    for name, split in (("tuned", "train"), ("held_out", "eval")):
        shutil.copytree(DESIGNS / "counter4", designs / name, ignore=shutil.ignore_patterns("reference"))
        config = designs / name / "llm4cov.toml"
        config.write_text(config.read_text().replace('split = "train"', f'split = "{split}"'))
    done = subprocess.run(
        [sys.executable, "benchmarks/policy.py", "--designs-dir", str(designs), "--iterations", "1", "--quiet",
         "--json", str(tmp_path / "runs.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "LLM4COV_CACHE_DIR": str(build_cache), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert [i["design"] for i in runs["builtin"]] == ["tuned"] == [i["design"] for i in runs["random"]]
    (b,), (r,) = runs["builtin"], runs["random"]
    assert b["cycles"] == r["cycles"] and b["sim_time_ns"] == r["sim_time_ns"] > 0
    assert "stimulus budgets: equal simulated time on 1 of the 1 designs where both ran the same steps" in done.stdout
