"""Settings end to end through pytest: --llm4cov-* flags, llm4cov_* ini keys, [tool.llm4cov] defaults.

Each run is a real `pytest --llm4cov` in a scratch project on a small train-split design; what is
checked is what the setting must change in the run (where files land, which metrics score, which
sandbox ran the testbench, when the loop stops), not only the value it was parsed to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import copy_design, report
from pytest_llm4cov.runlog import read_runlog
from pytest_llm4cov.sandbox import BASIC_LAYERS

pytestmark = pytest.mark.simulator

#: regblock (train split) with one random step stays below 100% on every metric: settings show.
DESIGN = "regblock"
ONE_RANDOM_STEP = ("--llm4cov-policy", "random", "--llm4cov-iterations", "1")


def records(folder: Path) -> list:
    logs = sorted(folder.glob("runlog*.jsonl"))
    assert logs, f"no run log in {folder}"
    return [r for log in logs for r in read_runlog(log)]


def test_command_line_settings_reach_the_run(project):
    copy_design(project, DESIGN)
    result = project.runpytest_subprocess(
        "--llm4cov", "rtl", "-p", "no:cacheprovider", *ONE_RANDOM_STEP,
        "--llm4cov-metrics", "line,toggle", "--llm4cov-target", "50%", "--llm4cov-out", "cli-out",
        "--llm4cov-runlog-dir", "cli-logs", "--llm4cov-containment", "basic", "--llm4cov-timeout", "60",
    )
    result.assert_outcomes(passed=1)  # below 100%, above the 50% target
    assert not (project.path / "llm4cov-out").exists()
    data = report(project, "cli-out")
    item = data["items"][0]
    assert item["target"] == 0.5 and item["passed"] and item["score"] < 1.0
    # functional coverage is always reported beside the metrics, scored only when named
    assert set(item["metrics"]) == {"line", "toggle", "functional"}
    ratios = [m["ratio"] for k, m in item["metrics"].items() if k != "functional"]
    assert item["score"] == pytest.approx(sum(ratios) / 2, abs=1e-6)
    assert data["settings"]["timeout"] == 60.0
    # the run log went to its own directory, and the testbench ran in the basic sandbox
    assert not (project.path / "cli-out" / "runs").exists()
    (step,) = records(project.path / "cli-logs")
    assert step.observation["containment"] == list(BASIC_LAYERS)
    # the frozen regression keeps the metrics and the target the item was judged by
    frozen = (project.path / "cli-out" / DESIGN / DESIGN / f"test_{DESIGN}_coverage.py").read_text()
    assert "METRICS = ['line', 'toggle']" in frozen and "TARGET = 0.5" in frozen


def test_timeout_and_patience_from_the_command_line(project):
    """Every run over a 50 ms limit times out, so no step gains: patience 1 stops after the second."""
    copy_design(project, DESIGN)
    result = project.runpytest_subprocess(
        "--llm4cov", "rtl", "-p", "no:cacheprovider", "--llm4cov-timeout", "0.05", "--llm4cov-patience", "1",
        "--llm4cov-iterations", "4",
    )
    result.assert_outcomes(failed=1)
    item = report(project)["items"][0]
    assert item["outcome"] == "timed_out" and item["score"] == 0.0
    assert item["steps"] == 2 and item["stopped"] == "no gain in 1 steps"
    steps = records(project.path / "llm4cov-out" / "runs")
    assert [r.observation["outcome"] for r in steps] == ["timed_out", "timed_out"]
    assert "did not finish within 0.05 s" in steps[0].observation["error"]


INI = """
[tool.pytest.ini_options]
llm4cov_policy = "random"
llm4cov_iterations = "1"
llm4cov_out = "ini-out"
llm4cov_runlog_dir = "ini-logs"
llm4cov_containment = "basic"
llm4cov_timeout = "60"

[tool.llm4cov]
target = 0.5
"""


def test_ini_keys_tool_defaults_and_the_command_line_wins(project):
    folder = copy_design(project, DESIGN)
    # the design's own llm4cov.toml would override [tool.llm4cov]: take its target out
    config = folder / "llm4cov.toml"
    config.write_text("".join(ln for ln in config.read_text().splitlines(True) if not ln.startswith("target")))
    (project.path / "pyproject.toml").write_text(INI)

    by_ini = project.runpytest_subprocess("--llm4cov", "rtl", "-p", "no:cacheprovider")
    by_ini.assert_outcomes(passed=1)
    assert not (project.path / "llm4cov-out").exists()
    item = report(project, "ini-out")["items"][0]
    assert item["policy"] == "random" and item["steps"] == 1
    assert item["target"] == 0.5  # [tool.llm4cov]
    assert {"line", "branch", "toggle"} <= set(item["metrics"])  # every metric Verilator reports
    (step,) = records(project.path / "ini-logs")
    assert step.observation["containment"] == list(BASIC_LAYERS)
    assert report(project, "ini-out")["settings"]["timeout"] == 60.0

    # the command line beats the ini keys (out, metrics) and [tool.llm4cov] (target)
    by_cli = project.runpytest_subprocess(
        "--llm4cov", "rtl", "-p", "no:cacheprovider", "--llm4cov-out", "cli-out", "--llm4cov-metrics", "line",
        "--llm4cov-target", "0.999",
    )
    by_cli.assert_outcomes(failed=1)
    line_only = report(project, "cli-out")["items"][0]
    assert line_only["target"] == 0.999 and set(line_only["metrics"]) == {"line", "functional"}
    # restricting the metrics changes the score: the same testbench (same seed), scored on lines alone
    assert line_only["metrics"]["line"] == item["metrics"]["line"]
    assert line_only["score"] == pytest.approx(item["metrics"]["line"]["ratio"], abs=1e-6)
    assert line_only["score"] != pytest.approx(item["score"], abs=1e-3)
    assert json.loads((project.path / "ini-out" / "report.json").read_text())["items"][0] == item  # untouched
